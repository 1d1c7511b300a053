"""Every environment is installed from a hash-pinned lock that agrees with the human requirement files, and the
installer refuses a package file whose hash is not in the lock (issue 14 part 6, docs/security/supply-chain.md).

The locks are regenerated with `make lock` (scripts/lock.py) and installed by scripts/install_locked.sh, which
scripts/setup.sh sources. These checks are offline: the installer test builds its own wheel and index.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.lock import ENVIRONMENTS, normalise, read_lock

ROOT = Path(__file__).resolve().parents[2]
SERVICE_ENVS = ("rasa", "actions", "app")


def pinned(path: Path) -> dict[str, str]:
    """`name==version` pins of a requirement or constraint file (comments, extras and markers dropped)."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)", line)
        if match:
            pins[normalise(match.group(1))] = match.group(3)
    return pins


def installed(env: str) -> dict[str, str]:
    python = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv")) / env / "bin" / "python"
    assert python.exists(), f"{python} is missing: run `make setup`"
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {normalise(n): v for n, v in (line.split("==", 1) for line in out.splitlines() if "==" in line)}


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_every_locked_package_is_pinned_to_one_version_with_sha256_hashes(env):
    pins = read_lock(env.lock)
    assert pins, f"{env.lock} lists no package"
    unhashed = [p.name for p in pins.values() if not p.hashes]
    assert not unhashed, f"{env.lock}: no --hash for {unhashed}"


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_the_lock_agrees_with_the_requirement_and_constraint_files(env):
    """A requirement edited without `make lock` shows up here, before setup installs something else."""
    lock = read_lock(env.lock)
    for source in env.requirements:
        for name, version in pinned(ROOT / source).items():
            assert name in lock, f"{source} asks for {name}=={version}, missing from {env.lock.name}: run make lock"
            assert lock[name].version == version, f"{source}: {name}=={version} but the lock has {lock[name].version}"
    for source in env.constraints:
        for name, version in pinned(ROOT / source).items():
            # a constraint may name a package this platform never installs (e.g. tzdata only on Windows)
            if name in lock:
                assert lock[name].version == version, f"{source}: {name}=={version}, lock {lock[name].version}"


def test_the_model_weight_packages_are_locked_like_any_other_package():
    app = read_lock(next(e for e in ENVIRONMENTS if e.name == "app").lock)
    for name in pinned(ROOT / "voice" / "requirements-models.txt"):
        assert name in app and app[name].hashes, f"{name} (model weights) is not hash-pinned in locks/app.txt"


@pytest.mark.parametrize("env", SERVICE_ENVS)
def test_the_installed_environment_runs_exactly_the_locked_versions(env):
    lock = read_lock(ROOT / "locks" / f"{env}.txt")
    have = installed(env)
    wrong = {n: (p.version, have.get(n)) for n, p in lock.items() if have.get(n) != p.version}
    assert not wrong, f".venv/{env} differs from locks/{env}.txt (locked, installed): {wrong}; run make setup"


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, so the installer can be exercised without any index."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{name.replace('-', '_')}/__init__.py": b"VALUE = 1\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    files[f"{dist}.dist-info/RECORD"] = (record + f"{dist}.dist-info/RECORD,,\n").encode()
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def run_install_locked(root: Path, venvs: Path, wheels: Path, lock: str) -> subprocess.CompletedProcess:
    script = f'say() {{ echo "$*"; }}; source "{ROOT}/scripts/install_locked.sh"; install_locked probe "$PY" {lock}'
    env = {
        **os.environ,
        "LOBBY_ROOT": str(root),
        "LOBBY_VENVS": str(venvs),
        "PY": sys.executable,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
    }
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory) -> Path:
    """One fresh venv (with its bundled pip) per module; each test installs into its own copy of it."""
    folder = tmp_path_factory.mktemp("base") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    return folder


@pytest.fixture
def fake_project(tmp_path, base_venv):
    """A project root whose locks point at a local wheel, and an environment directory holding a fresh venv."""
    shutil.copytree(base_venv, tmp_path / "venvs" / "probe", symlinks=True)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    good = make_wheel(wheels, "lobby-probe", "1.0")
    locks = tmp_path / "root" / "locks"
    locks.mkdir(parents=True)
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    (locks / "good.txt").write_text(f"lobby-probe==1.0 \\\n    --hash=sha256:{digest}\n")
    (locks / "tampered.txt").write_text(f"lobby-probe==1.0 \\\n    --hash=sha256:{'0' * 64}\n")
    # the installer step: here the venv's own pip is kept (an empty requirement file installs nothing)
    (locks / "pip.txt").write_text("# pip comes with the venv in this test\n")
    return tmp_path / "root", tmp_path / "venvs", wheels


def test_setup_installs_a_lock_and_then_passes_pip_check(fake_project):
    root, venvs, wheels = fake_project
    result = run_install_locked(root, venvs, wheels, "locks/good.txt")
    assert result.returncode == 0, result.stdout + result.stderr
    probe = venvs / "probe" / "bin" / "python"
    assert subprocess.run([str(probe), "-c", "import lobby_probe"], check=False).returncode == 0
    assert (venvs / "probe" / ".lobby-stamp").read_text().startswith("lock:")


def test_setup_refuses_a_package_file_whose_hash_is_not_in_the_lock(fake_project):
    root, venvs, wheels = fake_project
    result = run_install_locked(root, venvs, wheels, "locks/tampered.txt")
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stdout + result.stderr
    assert "installing locks/tampered.txt" in result.stderr
    probe = venvs / "probe" / "bin" / "python"
    assert subprocess.run([str(probe), "-c", "import lobby_probe"], check=False).returncode != 0
    assert not (venvs / "probe" / ".lobby-stamp").exists(), "a failed install must not be stamped as done"
