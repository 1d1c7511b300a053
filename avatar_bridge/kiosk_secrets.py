"""`python -m avatar_bridge.kiosk_secrets`: make, rotate and hand out the kiosks' secrets.

The file it writes (owner-only, never committed: it lives in var/) is the one the
bridge reads with `--kiosk-secrets` / LOBBY_KIOSK_SECRETS_FILE. The bridge re-reads
it when it changes, so `rotate` takes effect at the next hello without a restart;
the file is replaced in one step (a temporary file renamed over it), so the bridge
never reads half of it.

  ensure             a secret for every kiosk of the kiosk file that has none (make run does this)
  rotate KIOSK_ID    a new secret for one kiosk (the old one is refused from now on); prints it
  url KIOSK_ID       the kiosk page's address with the kiosk's secret in the fragment (#token=...),
                     which the browser never sends to a server, so no access log records it
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from pathlib import Path

import yaml

from avatar_bridge.access import load_secrets
from avatar_bridge.config import DEFAULT_KIOSK_FILE

SECRET_BYTES = 32  # 256 bits from the CSPRNG
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "var" / "kiosk-secrets.yml"
HEADER = "# Kiosk secrets of the avatar bridge (python -m avatar_bridge.kiosk_secrets). Keep private; never commit.\n"


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def read(path: Path) -> dict[str, str]:
    """The file's entries as written (env: references kept as they are); {} when there is no file yet."""
    if not path.exists():
        return {}
    load_secrets(path)  # refuse to rewrite a file the bridge could not read
    return {str(k): str(v) for k, v in (yaml.safe_load(path.read_text()) or {}).get("kiosks", {}).items()}


def write(path: Path, entries: dict[str, str]) -> None:
    """Owner-only, replaced atomically (the bridge may read it at any moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kiosk-secrets-")
    try:
        with os.fdopen(fd, "w") as out:  # mkstemp: mode 0600
            out.write(HEADER + yaml.safe_dump({"kiosks": entries}, sort_keys=True))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure(path: Path, kiosk_ids: list[str]) -> list[str]:
    """Give every listed kiosk a secret if it has none; returns the kiosks that got one."""
    entries = read(path)
    added = [k for k in kiosk_ids if k not in entries]
    if added or not path.exists():
        entries.update({k: new_secret() for k in added})
        write(path, entries)
    return added


def rotate(path: Path, kiosk_id: str) -> str:
    entries = read(path)
    entries[kiosk_id] = secret = new_secret()
    write(path, entries)
    return secret


def kiosk_url(base: str, kiosk_id: str, secret: str) -> str:
    return f"{base.rstrip('/')}/kiosk?kiosk={kiosk_id}#token={secret}"


def main(argv: list[str] | None = None) -> None:
    from avatar_bridge.config import load_kiosk_file

    p = argparse.ArgumentParser(
        prog="python -m avatar_bridge.kiosk_secrets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("command", choices=("ensure", "rotate", "url"))
    p.add_argument("kiosk_id", nargs="?")
    p.add_argument("--file", type=Path, default=Path(os.environ.get("LOBBY_KIOSK_SECRETS_FILE") or DEFAULT_FILE))
    p.add_argument("--kiosks", type=Path, default=DEFAULT_KIOSK_FILE, help="kiosk file (config/kiosks.yml)")
    p.add_argument("--base", default="http://127.0.0.1:8765", help="the bridge's address, for `url`")
    args = p.parse_args(argv)
    if args.command == "ensure":
        added = ensure(args.file, list(load_kiosk_file(args.kiosks)))
        print(f"kiosk secrets in {args.file}" + (f": new for {', '.join(added)}" if added else ""))
        return
    if not args.kiosk_id:
        p.error(f"{args.command} needs a KIOSK_ID")
    if args.command == "rotate":
        print(rotate(args.file, args.kiosk_id))
        return
    secret = load_secrets(args.file).get(args.kiosk_id) if args.file.exists() else None
    if secret is None:
        p.error(f"kiosk {args.kiosk_id!r} has no secret in {args.file} (run `ensure` or `rotate {args.kiosk_id}`)")
    print(kiosk_url(args.base, args.kiosk_id, secret))


if __name__ == "__main__":
    main()
