"""A broken edit to the data is caught by `rasa data validate` before any training, and the live
model is untouched."""

from __future__ import annotations

from testkit.trainer import add_accounts, cli, copy_project, settings_for
from trainer.models import live_model


def test_broken_data_stops_the_training_job_and_the_live_model_stays(servers, live, tmp_path):
    project = copy_project(tmp_path / "project", weaken=False)
    with (project / "data" / "rules.yml").open("a") as rules:
        rules.write("\n  - rule: a hand edit that names an action the domain does not have\n"
                    "    steps: [{intent: greet}, {action: action_that_does_not_exist}]\n")  # fmt: skip
    settings = settings_for(project, servers)
    add_accounts(settings)
    before = live_model(live)

    result = cli(settings, "train", "--user", "ann")

    assert result.returncode == 1
    assert "validate training data" in result.stdout
    assert "action_that_does_not_exist" in result.stdout
    assert "failed: validation failed: fix the problems listed in the log; nothing was trained" in result.stderr
    assert list((project / "models" / "dialogue").glob("*.tar.gz")) == []
    assert live_model(live) == before
