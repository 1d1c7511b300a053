"""Bandit's static security checks pass over the project code: every finding is either fixed, justified inline
(`# nosec B<id>  # reason`) or listed with its reason in tools/bandit-baseline.toml (issue 14 part 6).

Bandit runs from the tools environment (.venv/tools, made by `make setup`), so its dependencies never mix with
the services'. A baseline entry matches by file, test id and the flagged line's text, not its line number, so
unrelated edits do not break it; an entry that matches nothing any more fails too, so the list stays true.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tools" / "bandit-baseline.toml"
# The project's own code; tests/ and testkit/ are excluded on purpose (asserts and fixtures are their job).
TARGETS = (
    "actions",
    "avatar_bridge",
    "voice",
    "trainer",
    "nlu",
    "cards",
    "kb",
    "cluster",
    "scripts",
    "sentence_encoder",
    "scoring",
)
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
JUSTIFIED_NOSEC = re.compile(r"^\s*:?\s*B\d{3}(\s*,\s*B\d{3})*\s+#\s*\S.{8,}")


@dataclass(frozen=True)
class Finding:
    """One bandit result, keyed the way the baseline lists it."""

    file: str
    test: str
    code: str
    line: int
    text: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.file, self.test, self.code)


def bandit_binary() -> Path:
    path = Path(os.environ.get("LOBBY_VENVS", ROOT / ".venv")) / "tools" / "bin" / "bandit"
    assert path.exists(), f"{path} is missing: `make setup` builds the tools environment from locks/tools.txt"
    return path


def run_bandit(targets: list[str], cwd: Path) -> list[Finding]:
    """Bandit's findings over `targets` (paths relative to cwd), every severity and confidence."""
    proc = subprocess.run(
        [str(bandit_binary()), "-r", *targets, "-f", "json", "-q"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), f"bandit failed to run:\n{proc.stderr}"
    report = json.loads(proc.stdout)
    assert report["errors"] == [], f"bandit could not read some files: {report['errors']}"
    findings = []
    for result in report["results"]:
        file = Path(result["filename"]).as_posix()
        source = (cwd / file).read_text().splitlines()[result["line_number"] - 1].strip()
        findings.append(Finding(file, result["test_id"], source, result["line_number"], result["issue_text"]))
    return findings


def load_baseline() -> Counter[tuple[str, str, str]]:
    entries = tomllib.loads(BASELINE.read_text())["finding"]
    allowed: Counter[tuple[str, str, str]] = Counter()
    for entry in entries:
        assert len(entry.get("reason", "").strip()) >= 10, f"baseline entry without a reason: {entry}"
        allowed[(entry["file"], entry["test"], entry["code"])] += int(entry.get("count", 1))
    return allowed


def unexplained(findings: list[Finding], allowed: Counter[tuple[str, str, str]]) -> list[Finding]:
    """Findings beyond what the baseline accepts (by key, up to each entry's count)."""
    left = Counter(allowed)
    extra = []
    for finding in findings:
        if left[finding.key] > 0:
            left[finding.key] -= 1
        else:
            extra.append(finding)
    return extra


@pytest.fixture(scope="module")
def project_findings() -> list[Finding]:
    return run_bandit(list(TARGETS), ROOT)


def test_bandit_reports_nothing_beyond_the_reviewed_baseline(project_findings):
    extra = unexplained(project_findings, load_baseline())
    listing = "\n".join(f"  {f.file}:{f.line} {f.test} {f.text}\n    {f.code}" for f in extra)
    assert not extra, (
        f"{len(extra)} new bandit finding(s); fix them, or justify inline (`# nosec B<id>  # reason`) "
        f"or in {BASELINE.relative_to(ROOT)}:\n{listing}"
    )


def test_every_baseline_entry_still_matches_a_finding(project_findings):
    found = Counter(f.key for f in project_findings)
    stale = {key: n for key, n in load_baseline().items() if found[key] < n}
    assert not stale, f"baseline entries that match no finding any more (remove them): {stale}"


def test_inline_nosec_comments_name_the_check_and_say_why():
    bare = []
    for target in TARGETS:
        for path in sorted((ROOT / target).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                match = NOSEC.search(line)
                if match and not JUSTIFIED_NOSEC.match(match.group("rest")):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "write `# nosec B<id>  # reason` (a bare nosec hides every check):\n" + "\n".join(bare)


def test_a_new_risky_call_is_caught_and_not_excused_by_the_baseline(tmp_path):
    """The check can fail: a shell command built from input is reported and no baseline entry covers it."""
    package = tmp_path / "kiosk_tools"
    package.mkdir()
    (package / "run.py").write_text(
        "import subprocess\n\n\ndef run(name):\n    return subprocess.call('ls ' + name, shell=True)\n"
    )
    findings = run_bandit(["kiosk_tools"], tmp_path)
    extra = unexplained(findings, load_baseline())
    assert "B602" in {f.test for f in extra}, [f.test for f in findings]
