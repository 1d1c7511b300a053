"""`make sbom` describes what really runs, offline; `make audit` never passes off "could not check" as "clean"
(issue 14 part 6, docs/security/supply-chain.md).

The SBOM test builds the action server's SBOM (the smallest service environment) and the npm one into a temporary
folder and compares them with the lock files. The audit test cuts the network off through an unreachable proxy
and registry, so it behaves the same on a machine that does reach the advisory databases.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from scripts.audit import CLEAN, NOT_AUDITED, VULNERABLE, classify_npm_audit, classify_pip_audit, exit_code
from scripts.lock import normalise, read_lock

ROOT = Path(__file__).resolve().parents[2]
TOOLS_PY = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv")) / "tools" / "bin" / "python"


def run_tool(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    assert TOOLS_PY.exists(), f"{TOOLS_PY} is missing: `make setup` builds the tools environment"
    return subprocess.run(
        [str(TOOLS_PY), "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_sbom_lists_every_locked_package_of_an_environment_and_every_npm_package(tmp_path):
    result = run_tool("scripts.sbom", "actions", "npm", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr

    actions = json.loads((tmp_path / "actions.cdx.json").read_text())
    assert actions["bomFormat"] == "CycloneDX"
    listed = {normalise(c["name"]): c["version"] for c in actions["components"]}
    for pin in read_lock(ROOT / "locks" / "actions.txt").values():
        assert listed.get(pin.name) == pin.version, f"{pin.name}=={pin.version} is not in the SBOM"
        purls = {normalise(c["purl"].split("@")[0].removeprefix("pkg:pypi/")) for c in actions["components"]}
        assert pin.name in purls, f"{pin.name} has no pkg:pypi package URL in the SBOM"

    npm = json.loads((tmp_path / "npm.cdx.json").read_text())
    assert npm["metadata"]["component"]["name"] == json.loads((ROOT / "package.json").read_text())["name"]
    in_sbom = {(c["name"], c["version"]) for c in npm["components"]}
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for path, package in lock.items():
        if path.startswith("node_modules/") and not package.get("dev"):
            name = path.rsplit("node_modules/", 1)[1]
            assert (name, package["version"]) in in_sbom, f"{name}@{package['version']} is not in the npm SBOM"


def test_sbom_refuses_an_unknown_environment_name():
    result = run_tool("scripts.sbom", "kiosk")
    assert result.returncode == 2
    assert "unknown kiosk" in result.stderr


def test_audit_without_the_advisory_databases_says_so_and_does_not_pass():
    dead = "http://127.0.0.1:9"
    offline = {"HTTPS_PROXY": dead, "HTTP_PROXY": dead, "NO_PROXY": "", "npm_config_registry": dead + "/"}
    result = run_tool("scripts.audit", "actions", "npm", env=offline)  # the smaller sources: each package is a lookup
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for source in ("locks/actions.txt", "package-lock.json"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(source))
        assert NOT_AUDITED in line, line
    assert "could not be checked against the advisory databases" in result.stderr


# pip-audit's and npm audit's JSON reports, in the shapes they print (trimmed to the fields that are read).
ALL_SKIPPED = {
    "dependencies": [
        {
            "name": "aiofiles",
            "version": "25.1.0",
            "skip_reason": "Dependency not found on PyPI and could not be audited",
        }
    ]
}
ONE_VULNERABLE = {
    "dependencies": [
        {"name": "jinja2", "version": "3.1.6", "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.7"]}]},
        {"name": "pyyaml", "version": "6.0.4", "vulns": []},
    ]
}
ALL_CHECKED = {"dependencies": [{"name": "pyyaml", "version": "6.0.4", "vulns": []}]}


def test_a_lock_whose_packages_could_not_be_looked_up_is_not_audited_even_though_pip_audit_exits_0():
    outcome = classify_pip_audit("locks/app.txt", 0, json.dumps(ALL_SKIPPED), "")
    assert outcome.status == NOT_AUDITED and outcome.checked == 0
    assert "1 of 1 packages not looked up" in outcome.note
    assert exit_code([outcome]) == 2


def test_a_known_vulnerability_is_reported_with_its_fix_and_fails_the_audit():
    outcome = classify_pip_audit("locks/app.txt", 1, json.dumps(ONE_VULNERABLE), "")
    assert outcome.status == VULNERABLE
    assert outcome.findings == ["jinja2 3.1.6: GHSA-xxxx (fixed in 3.1.7)"]
    clean = classify_pip_audit("locks/rasa.txt", 0, json.dumps(ALL_CHECKED), "")
    assert clean.status == CLEAN
    assert exit_code([clean, outcome]) == 1
    assert exit_code([clean]) == 0


def test_pip_audit_crashing_or_npm_getting_405_is_not_audited():
    crashed = classify_pip_audit("locks/app.txt", 1, "", "Traceback ...\nrequests.exceptions.ConnectionError: osv")
    assert crashed.status == NOT_AUDITED and "ConnectionError" in crashed.note
    refused = {"message": "405 Method Not Allowed - POST .../advisories/bulk", "error": {"summary": ""}}
    npm = classify_npm_audit(1, json.dumps(refused), "")
    assert npm.status == NOT_AUDITED and "405" in npm.note
    fine = {
        "vulnerabilities": {},
        "metadata": {"vulnerabilities": {"high": 0, "total": 0}, "dependencies": {"total": 9}},
    }
    assert classify_npm_audit(0, json.dumps(fine), "").status == CLEAN
