"""Write a CycloneDX SBOM for each Python environment and for the npm packages (`make sbom`), offline.

Why: an operator (or a later `make audit` on a connected machine) needs the exact list of third-party components
that runs in a hall, per process: what the Rasa, action-server and app environments really contain, and what the
kiosk page loads from node_modules. Nothing here touches the network: `cyclonedx-py environment` reads the
installed packages' metadata, and `npm sbom --package-lock-only` reads package-lock.json.

Output: artifacts/sbom/<env>.cdx.json and artifacts/sbom/npm.cdx.json (CycloneDX JSON; git-ignored, regenerate).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess  # nosec B404  # runs cyclonedx-py and npm with fixed argument lists
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_ENVS = ("rasa", "actions", "app", "tools")
DEFAULT_OUT = ROOT / "artifacts" / "sbom"


class SbomError(RuntimeError):
    """A tool is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class Sbom:
    name: str
    path: Path
    components: int


def venvs() -> Path:
    return Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))


def python_sbom(env: str, out: Path) -> Sbom:
    """The SBOM of one installed environment, read from its site-packages by the tools env's cyclonedx-py."""
    tool = venvs() / "tools" / "bin" / "cyclonedx-py"
    python = venvs() / env / "bin" / "python"
    for needed in (tool, python):
        if not needed.exists():
            raise SbomError(f"{needed} is missing: run `make setup`")
    target = out / f"{env}.cdx.json"
    command = [str(tool), "environment", str(python), "--output-reproducible", "--of", "JSON", "-o", str(target)]
    command += ["--pyproject", str(ROOT / "pyproject.toml")]
    # The root component (lobby-guide, from pyproject.toml) lists no dependency graph: say so in the docs, not
    # as a warning on every run.
    env_vars = {**os.environ, "PYTHONWARNINGS": "ignore::UserWarning"}
    result = subprocess.run(  # nosec B603  # fixed argument list, no shell
        command, capture_output=True, text=True, env=env_vars, check=False
    )
    if result.returncode != 0:
        raise SbomError(f"cyclonedx-py failed for '{env}':\n{result.stderr.strip()}")
    return Sbom(env, target, len(json.loads(target.read_text()).get("components", [])))


def npm_sbom(out: Path) -> Sbom:
    """The npm packages' SBOM from package-lock.json alone (npm >= 10 has `npm sbom`; no install, no network)."""
    npm = shutil.which("npm")
    if npm is None:
        raise SbomError("npm is not installed: run `make setup`")
    command = [npm, "sbom", "--sbom-format", "cyclonedx", "--package-lock-only", "--offline"]
    result = subprocess.run(  # nosec B603  # fixed argument list, no shell
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        hint = " (`npm sbom` needs npm 10 or later)" if "Unknown command" in result.stderr else ""
        raise SbomError(f"npm sbom failed{hint}:\n{result.stderr.strip()}")
    document = json.loads(result.stdout)
    # npm names the root after the checkout's directory; name it after the project's package.json instead.
    package = json.loads((ROOT / "package.json").read_text())
    document["metadata"]["component"]["name"] = package["name"]
    target = out / "npm.cdx.json"
    target.write_text(json.dumps(document, indent=2) + "\n")
    return Sbom("npm", target, len(document.get("components", [])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make sbom", description=__doc__.split("\n")[0])
    parser.add_argument("only", nargs="*", help=f"subset of {', '.join((*PYTHON_ENVS, 'npm'))} (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: artifacts/sbom)")
    args = parser.parse_args(argv)
    known = (*PYTHON_ENVS, "npm")
    unknown = sorted(set(args.only) - set(known))
    if unknown:
        parser.error(f"unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    chosen = [name for name in known if not args.only or name in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for name in chosen:
            sbom = npm_sbom(args.out) if name == "npm" else python_sbom(name, args.out)
            print(f"{sbom.path}: {sbom.components} components ({sbom.name})")
    except SbomError as error:
        print(f"make sbom: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
