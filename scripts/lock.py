"""Regenerate the hash-pinned lock files in locks/ from the human requirement files (`make lock`).

Why: the requirement and constraint files say what each environment *means* to contain; the locks say exactly
which files pip may install, with their sha256, so a compromised or re-uploaded release on the index cannot
slip into a kiosk (`pip install --require-hashes --no-deps`, scripts/setup.sh). The constraint files pin every
transitive version, so re-locking reproduces the installed environments and only adds hashes; to move a version,
change it in the requirement or constraint file first, then `make lock`, then `make setup`.

Runs `uv pip compile --generate-hashes` from the tools environment (.venv/tools), resolving for the Python
version of the environment's own interpreter on manylinux x86_64. It needs the package index (PyPI); offline it
stops with a clear message and leaves the old locks untouched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess  # nosec B404  # runs uv and the environments' own interpreters with fixed argument lists
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "locks"
PLATFORM = "x86_64-manylinux_2_28"


@dataclass(frozen=True)
class Environment:
    """One Python environment: its lock, the interpreter minor version and the files that state its intent."""

    name: str
    python: str  # minor version, e.g. "3.10"
    requirements: tuple[str, ...]
    constraints: tuple[str, ...] = ()

    @property
    def lock(self) -> Path:
        return LOCKS / f"{self.name}.txt"


# The same grouping scripts/setup.sh used to install from; setup.sh now installs from the locks only.
ENVIRONMENTS: tuple[Environment, ...] = (
    Environment("pip", "3.11", ("tools/bootstrap.txt",)),
    Environment("rasa", "3.10", ("nlu/requirements.txt",), ("nlu/constraints.txt",)),
    Environment("actions", "3.11", ("actions/requirements.txt",), ("actions/constraints.txt",)),
    Environment(
        "app",
        "3.11",
        (
            "requirements-app.txt",
            "voice/requirements.txt",
            "voice/requirements-models.txt",
            "avatar_bridge/requirements.txt",
            "trainer/requirements.txt",
        ),
        ("app-constraints.txt",),
    ),
    Environment("tools", "3.11", ("tools/requirements.txt",), ("tools/constraints.txt",)),
)


@dataclass(frozen=True)
class Pin:
    """One locked package: normalised name, exact version, the sha256 of every file pip may install for it."""

    name: str
    version: str
    hashes: tuple[str, ...]


def normalise(name: str) -> str:
    """PEP 503 name, so `PyYAML`, `pyyaml` and `ruamel.yaml`/`ruamel-yaml` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, Pin]:
    """The pins of a lock file as `make lock` writes it (`name==version \\` then `--hash=sha256:...` lines)."""
    pins: dict[str, Pin] = {}
    current: tuple[str, str] | None = None
    hashes: list[str] = []
    for line in [*path.read_text().splitlines(), ""]:
        requirement = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", line)
        if requirement or not line.strip():
            if current:
                pins[current[0]] = Pin(current[0], current[1], tuple(hashes))
            current, hashes = None, []
        if requirement:
            current = (normalise(requirement.group(1)), requirement.group(3))
        hashes += re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return pins


class LockError(RuntimeError):
    """Re-locking could not run (no uv, no interpreter, no index); the message says what to do."""


def venvs() -> Path:
    return Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))


def python_version(env: Environment) -> str:
    """Full version (e.g. 3.11.7) of the interpreter the environment runs on: markers such as
    `python_full_version < '3.11.3'` decide whether a package belongs in the lock."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [venvs() / env.name / "bin" / "python", shutil.which(f"python{env.python}")]
    candidates += sorted(pyenv.glob(f"{env.python}.*/bin/python{env.python}"))  # as scripts/setup.sh finds them
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            out = subprocess.run(  # nosec B603  # fixed arguments, our own interpreter
                [str(candidate), "-c", "import platform; print(platform.python_version())"],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode == 0 and out.stdout.startswith(env.python):
                return out.stdout.strip()
    raise LockError(f"no Python {env.python} found for the '{env.name}' environment (run make setup)")


def uv_binary() -> str:
    for candidate in (venvs() / "tools" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise LockError("uv not found: run `make setup` (it builds .venv/tools from tools/requirements.txt)")


def compile_lock(env: Environment, uv: str) -> str:
    """The lock text for one environment, or LockError with uv's own explanation."""
    version = python_version(env)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        command = [uv, "pip", "compile", "--quiet", "--generate-hashes", "--no-config"]
        command += ["--python-version", version, "--python-platform", PLATFORM]
        command += ["--custom-compile-command", f"make lock  (Python {version}, {PLATFORM})"]
        command += list(env.requirements)
        for constraint in env.constraints:
            command += ["-c", constraint]
        command += ["-o", str(out)]
        result = subprocess.run(  # nosec B603  # fixed arguments built above, no shell
            command, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()[-5:]
            raise LockError(f"could not lock '{env.name}' (is the package index reachable?):\n  " + "\n  ".join(detail))
        return out.read_text()


def main(argv: list[str] | None = None) -> int:
    names = [env.name for env in ENVIRONMENTS]
    parser = argparse.ArgumentParser(prog="make lock", description=__doc__.split("\n")[0])
    parser.add_argument("envs", nargs="*", help=f"environments to re-lock (default: all of {', '.join(names)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.envs) - set(names))
    if unknown:
        parser.error(f"unknown environment {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [env for env in ENVIRONMENTS if not args.envs or env.name in args.envs]
    try:
        uv = uv_binary()
        texts = {env.name: compile_lock(env, uv) for env in chosen}
    except LockError as error:
        print(f"make lock: {error}", file=sys.stderr)
        return 1
    LOCKS.mkdir(exist_ok=True)
    for env in chosen:
        env.lock.write_text(texts[env.name])
        pins = sum(1 for line in texts[env.name].splitlines() if line[:1].isalnum())
        print(f"{env.lock.relative_to(ROOT)}: {pins} packages, Python {python_version(env)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
