"""Model set-up: weights assembled from installed packages, verified by sha256, idempotent."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest

from voice import models
from voice.errors import ModelIntegrityError, ModelNotInstalledError


@pytest.fixture
def fake_model_package(tmp_path, monkeypatch):
    """A tiny importable package holding a model split in two parts, and a manifest for it."""
    package = tmp_path / "site" / "fake_weights"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    part1, part2 = b"first half of the weights|" * 100, b"second half|" * 50
    (package / "data" / "model.bin.part1").write_bytes(part1)
    (package / "data" / "model.bin.part2").write_bytes(part2)
    (package / "data" / "config.json").write_text('{"a": 1}')
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    source = {"distribution": "fake-weights", "module": "fake_weights"}
    manifest = {
        "format": 1,
        "models": {
            "asr/fake": {
                "description": "fake",
                "licence": "MIT",
                "files": {
                    "model.bin": {
                        "sha256": hashlib.sha256(part1 + part2).hexdigest(),
                        "size": len(part1 + part2),
                        "sources": [
                            {**source, "path": "data/model.bin.part1"},
                            {**source, "path": "data/model.bin.part2"},
                        ],
                    },
                    "config.json": {
                        "sha256": hashlib.sha256(b'{"a": 1}').hexdigest(),
                        "size": 8,
                        "sources": [{**source, "path": "data/config.json"}],
                    },
                },
            }
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    monkeypatch.setattr(models, "MANIFEST_PATH", path)
    monkeypatch.setattr(models.load_manifest, "__defaults__", (path,))
    yield package, part1 + part2
    sys.modules.pop("fake_weights", None)


def test_install_concatenates_parts_and_verifies(fake_model_package, tmp_path):
    _, whole = fake_model_package
    target = tmp_path / "models"
    log: list[str] = []
    assert models.install(root=target, log=log.append) == {"asr/fake": "assembled"}
    assert (target / "asr/fake/model.bin").read_bytes() == whole
    assert models.verify(root=target) == []
    assert any("assembling" in line for line in log)


def test_install_is_idempotent(fake_model_package, tmp_path):
    target = tmp_path / "models"
    models.install(root=target, log=lambda _: None)
    before = (target / "asr/fake/model.bin").stat().st_mtime_ns
    log: list[str] = []
    assert models.install(root=target, log=log.append) == {"asr/fake": "already installed"}
    assert (target / "asr/fake/model.bin").stat().st_mtime_ns == before
    assert any("sha256 ok" in line for line in log)


def test_a_damaged_file_is_detected_and_repaired(fake_model_package, tmp_path):
    target = tmp_path / "models"
    models.install(root=target, log=lambda _: None)
    damaged = target / "asr/fake/model.bin"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"X")
    assert models.verify(root=target) == [f"{damaged}: sha256 or size does not match the manifest"]
    assert models.install(root=target, log=lambda _: None) == {"asr/fake": "assembled"}
    assert models.verify(root=target) == []


def test_a_package_with_other_weights_is_refused(fake_model_package, tmp_path):
    package, _ = fake_model_package
    (package / "data" / "model.bin.part2").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match="manifest expects"):
        models.install(root=tmp_path / "models", log=lambda _: None)
    assert not (tmp_path / "models/asr/fake/model.bin").exists(), "a bad file must not be left in place"


def test_a_missing_package_says_what_to_install(fake_model_package, tmp_path, monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotInstalledError, match="fake-weights.*requirements-models.txt"):
        models.install(root=tmp_path / "models", log=lambda _: None)


def test_engines_refuse_a_models_folder_that_was_never_assembled(tmp_path):
    with pytest.raises(ModelNotInstalledError, match="python -m voice.models install"):
        models.require_model_dir("asr/base", root=tmp_path)


def test_the_real_models_are_assembled_and_match_the_manifest():
    assert models.verify() == []
    assert set(models.load_manifest()) == {"asr/base", "asr/tiny.en", "tts/piper"}


def test_cli_help_and_exit_codes(fake_model_package, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        models.main(["--help"])
    assert info.value.code == 0 and "install" in capsys.readouterr().out
    assert models.main(["verify", "--models-dir", str(tmp_path / "empty")]) == 1
    assert models.main(["install", "--models-dir", str(tmp_path / "m")]) == 0
    assert models.main(["verify", "--models-dir", str(tmp_path / "m")]) == 0
