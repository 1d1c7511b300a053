"""Build the gesture strip in docs/web.md from the browser tests' screenshots.

    .venv/app/bin/python -m scripts.gesture_strip [--layout portrait] [--no-run] [--out docs/img/gestures.png]

Runs the gesture geometry tests (tests/web/test_gestures.py: real Chromium, the kiosk page's own avatar,
each gesture at its peak) unless --no-run, then lays the 13 screenshots from artifacts/web/gestures/ in two
rows with their names. All tiles share one crop (the union of what any gesture draws), so the strip shows
how far each hand reaches. The image is reduced to a small palette so it stays well under MAX_BYTES and can
be committed; a larger result is an error, not a silent commit of a big binary.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "web" / "gestures"
OUT = ROOT / "docs" / "img" / "gestures.png"
GESTURES = ["idle", "wave", "nod", "shake", "point_left", "point_right", "point_forward", "count", "open_palms",
            "think", "apologetic", "thumbs_up", "listen"]  # fmt: skip
MAX_BYTES = 300_000
TILE_HEIGHT = 210
COLUMNS = 7  # two rows: every tile shows the full reach of the hands
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def run_tests(layout: str) -> None:
    """Take fresh screenshots: only the per-gesture geometry tests, in one layout."""
    cmd = [sys.executable, "-m", "pytest", "tests/web/test_gestures.py", "-q",
           "-k", f"each_gesture and {layout}"]  # fmt: skip
    print("taking the screenshots:", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def content_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Where the image differs from its background colour (the top-left pixel)."""
    background = Image.new(image.mode, image.size, image.getpixel((0, 0)))
    return ImageChops.difference(image, background).convert("L").point(lambda v: 255 if v > 12 else 0).getbbox()


def build(layout: str, out: Path) -> Path:
    paths = [SHOTS / f"{layout}-{i:02d}-{name}.png" for i, name in enumerate(GESTURES)]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"missing screenshots in {SHOTS}: {', '.join(missing)} (run without --no-run)")
    images = [Image.open(p).convert("RGB") for p in paths]
    boxes = [b for b in (content_box(im) for im in images) if b]
    pad = 8
    width, height = images[0].size
    left, top = max(0, min(b[0] for b in boxes) - pad), max(0, min(b[1] for b in boxes) - pad)
    right, bottom = min(width, max(b[2] for b in boxes) + pad), min(height, max(b[3] for b in boxes) + pad)
    scale = TILE_HEIGHT / (bottom - top)
    tile_w = round((right - left) * scale)
    font = ImageFont.truetype(str(FONT), 18) if FONT.exists() else ImageFont.load_default()
    label_h = 28
    rows = -(-len(images) // COLUMNS)
    cell_h = TILE_HEIGHT + label_h
    strip = Image.new("RGB", (tile_w * COLUMNS, cell_h * rows), "white")
    draw = ImageDraw.Draw(strip)
    for i, (name, im) in enumerate(zip(GESTURES, images, strict=True)):
        x, y = (i % COLUMNS) * tile_w, (i // COLUMNS) * cell_h
        strip.paste(im.crop((left, top, right, bottom)).resize((tile_w, TILE_HEIGHT), Image.LANCZOS), (x, y))
        text_w = draw.textlength(name, font=font)
        draw.text((x + (tile_w - text_w) / 2, y + TILE_HEIGHT + 4), name, fill="#1a1a1a", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    strip.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size // 1000} KB, over the {MAX_BYTES // 1000} KB limit: lower TILE_HEIGHT")
    print(f"wrote {out.relative_to(ROOT)} ({strip.width}x{strip.height}, {size // 1000} KB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gesture_strip", description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", choices=["portrait", "landscape"], default="portrait")
    parser.add_argument("--no-run", action="store_true", help="use the screenshots already in artifacts/web/gestures")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.no_run:
        run_tests(args.layout)
    build(args.layout, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
