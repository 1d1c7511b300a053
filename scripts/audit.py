"""Check every lock file and package-lock.json against the public advisory databases (`make audit`).

Why: known-vulnerable versions must be found before a hall runs them, but the advisories live online (PyPI's
JSON API or OSV for pip-audit, the npm registry's audit endpoint for npm audit). These build machines cannot
reach them, so this is a tool for operators whose machines can. The worst outcome would be a green "no known
vulnerabilities" when nothing was actually checked: pip-audit reports a package it cannot look up as skipped
and still exits 0. So each source is classified as audited, vulnerable or *not audited*, and the exit code says
which: 0 every package was checked and none is affected, 1 something is affected, 2 some could not be checked.

Nothing is installed: pip-audit reads the hash-pinned locks directly (`--disable-pip`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess  # nosec B404  # runs pip-audit and npm with fixed argument lists
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("rasa", "actions", "app", "tools", "pip")
CLEAN, VULNERABLE, NOT_AUDITED = "clean", "vulnerable", "not audited"


@dataclass
class Outcome:
    """What one source's audit established."""

    source: str
    status: str
    checked: int = 0
    findings: list[str] = field(default_factory=list)
    note: str = ""


def venvs() -> Path:
    return Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv"))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def classify_pip_audit(source: str, returncode: int, stdout: str, stderr: str) -> Outcome:
    """Read pip-audit's JSON report; a package it could not look up counts as not audited, never as clean."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return Outcome(source, NOT_AUDITED, note=f"pip-audit could not run: {last_line(stderr)}")
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    checked = [d for d in dependencies if "skip_reason" not in d]
    findings = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release'})"
        for d in checked
        for v in d.get("vulns", [])
    ]
    if findings:
        return Outcome(source, VULNERABLE, len(checked), findings)
    if skipped or not dependencies:
        reason = skipped[0]["skip_reason"] if skipped else "empty report"
        return Outcome(
            source,
            NOT_AUDITED,
            len(checked),
            note=f"{len(skipped)} of {len(dependencies)} packages not looked up (advisory database unreachable?): "
            f"{reason}",
        )
    return Outcome(source, CLEAN, len(checked))


def audit_lock(name: str, service: str) -> Outcome:
    tool = venvs() / "tools" / "bin" / "pip-audit"
    if not tool.exists():
        return Outcome(f"locks/{name}.txt", NOT_AUDITED, note=f"{tool} is missing: run `make setup`")
    command = [str(tool), "-r", str(ROOT / "locks" / f"{name}.txt"), "--disable-pip", "--require-hashes"]
    command += ["--vulnerability-service", service, "--format", "json", "--progress-spinner", "off"]
    result = subprocess.run(  # nosec B603  # fixed argument list, no shell
        command, capture_output=True, text=True, check=False, timeout=900
    )
    return classify_pip_audit(f"locks/{name}.txt", result.returncode, result.stdout, result.stderr)


def classify_npm_audit(returncode: int, stdout: str, stderr: str) -> Outcome:
    """npm audit's JSON: an `error` object (e.g. 405 from a registry without the audit API) means not audited."""
    source = "package-lock.json"
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return Outcome(source, NOT_AUDITED, note=f"npm audit could not run: {last_line(stderr)}")
    if "error" in report:
        error = report["error"] if isinstance(report["error"], dict) else {}
        reason = report.get("message") or error.get("summary") or error.get("detail") or "no reason given"
        return Outcome(source, NOT_AUDITED, note=f"advisory endpoint unreachable: {reason}")
    counts = report.get("metadata", {}).get("vulnerabilities", {})
    total = sum(v for k, v in counts.items() if k != "total" and isinstance(v, int))
    dependencies = report.get("metadata", {}).get("dependencies", {}).get("total", 0)
    if total:
        findings = [
            f"{name}: {info.get('severity')}" for name, info in sorted(report.get("vulnerabilities", {}).items())
        ]
        return Outcome(source, VULNERABLE, dependencies, findings)
    return Outcome(source, CLEAN, dependencies)


def audit_npm() -> Outcome:
    npm = shutil.which("npm")
    if npm is None:
        return Outcome("package-lock.json", NOT_AUDITED, note="npm is not installed: run `make setup`")
    result = subprocess.run(  # nosec B603  # fixed argument list, no shell
        [npm, "audit", "--package-lock-only", "--json"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return classify_npm_audit(result.returncode, result.stdout, result.stderr)


def exit_code(outcomes: list[Outcome]) -> int:
    statuses = {o.status for o in outcomes}
    if VULNERABLE in statuses:
        return 1
    return 2 if NOT_AUDITED in statuses else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make audit", description=__doc__.split("\n")[0])
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi", help="pip-audit's advisory source")
    parser.add_argument("only", nargs="*", help=f"subset of {', '.join((*LOCKS, 'npm'))} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - {*LOCKS, "npm"})
    if unknown:
        parser.error(f"unknown {', '.join(unknown)}; choose from {', '.join((*LOCKS, 'npm'))}")
    outcomes = [audit_lock(name, args.service) for name in LOCKS if not args.only or name in args.only]
    if not args.only or "npm" in args.only:
        outcomes.append(audit_npm())
    for outcome in outcomes:
        print(f"{outcome.source:24} {outcome.status:12} {outcome.checked:4} checked  {outcome.note}".rstrip())
        for finding in outcome.findings:
            print(f"    {finding}")
    code = exit_code(outcomes)
    if code == 2:
        print(
            "make audit: some sources could not be checked against the advisory databases (no access from this "
            "machine?). That is not a clean result: run `make audit` where PyPI's JSON API or OSV and the npm "
            "registry's audit endpoint are reachable, or feed artifacts/sbom/ to your own scanner.",
            file=sys.stderr,
        )
    elif code == 1:
        print("make audit: known vulnerabilities above: upgrade in the requirement files, then make lock.")
    else:
        print("make audit: every locked package was checked; no known vulnerabilities.")
    return code


if __name__ == "__main__":
    sys.exit(main())
