"""Validate, train and evaluate as jobs: the same steps from the web pages (background thread,
live progress in the page) and from the command line (progress printed).

A training run is always: export the knowledge-base synonyms → `rasa data validate` → `rasa train`
→ evaluate on the held-back test split against the live model. Validation failing stops the run
before training, so broken data never becomes a model, and the live model is never touched by a
job (only activation changes it).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select, update

from trainer.config import REPO_ROOT, Settings
from trainer.evaluation import evaluate_model, rasa_env, summary
from trainer.models import live_model, model_path
from trainer.state import State, jobs

TRAIN_DATA = ["data/nlu", "data/rules.yml", "data/stories.yml"]
_EPOCHS = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+|\x1b\[[0-9;]*m")  # own time stamps; no colours
_NOISE = re.compile(r"(Deprecation|PendingDeprecation|Future)Warning: ")  # UserWarnings are validation findings
_BAR = re.compile(r"\d+%\|")  # other progress bars (story blocks, featurization): noise in a log
_RUNNING = threading.Lock()


class JobFailed(Exception):
    pass


def fingerprint(settings: Settings) -> str:
    """Same recipe as scripts/train.sh, so both name a model trained on the same inputs alike."""
    p = settings.project
    constraints = p / "nlu" / "constraints.txt"
    if not constraints.exists():
        constraints = REPO_ROOT / "nlu" / "constraints.txt"
    files = [p / "config.yml", p / "domain.yml", constraints]
    data = sorted(str(f.relative_to(p)) for f in (p / "data" / "nlu").rglob("*.yml"))
    data += [d for d in ("data/rules.yml", "data/stories.yml") if (p / d).exists()]
    files += [p / d for d in sorted(data)]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class JobContext:
    """What a running job reports: a step name, a 0–1 fraction and log lines."""

    settings: Settings
    state: State
    job_id: int
    echo: Callable[[str], None] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.settings.state_dir / "jobs" / f"{self.job_id}.log"

    def say(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self.log_path.open("a", encoding="utf-8") as f:
            f.write(f"{stamp} {line}\n")
        if self.echo:
            self.echo(line)

    def update(self, step: str | None = None, progress: float | None = None) -> None:
        values = {}
        if step is not None:
            values["step"] = step
            self.say(f"== {step}")
        if progress is not None:
            values["progress"] = round(progress, 3)
        with self.state.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == self.job_id).values(**values))


def _run(ctx: JobContext, args: list[str], lo: float, hi: float) -> int:
    """Run a Rasa command, streaming its output to the job log and epoch progress to the job."""
    proc = subprocess.Popen(
        args,
        cwd=ctx.settings.project,
        env=rasa_env(ctx.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    buf = ""
    last_epoch = -1
    skipping = False
    while True:
        chunk = proc.stdout.read(256)
        if not chunk:
            break
        buf += chunk
        parts = re.split(r"[\r\n]", buf)
        buf = parts.pop()
        for part in parts:
            m = _EPOCHS.search(part)
            if m:
                done, total = int(m.group(1)), int(m.group(2))
                if done != last_epoch:
                    last_epoch = done
                    ctx.update(progress=lo + (hi - lo) * done / max(1, total))
                    if done % 5 == 0 or done == total:
                        ctx.say(f"epoch {done}/{total}")
            elif part.strip() and not _BAR.search(part):
                # Library deprecation warnings (and the source line Python prints under each) are noise here.
                if _NOISE.search(part) or (skipping and part.startswith("  ")):
                    skipping = True
                    continue
                skipping = False
                ctx.say(_STAMP.sub("", part).rstrip()[:500])
    if buf.strip():
        ctx.say(buf.strip()[:500])
    return proc.wait()


def rasa(settings: Settings, *args: str) -> list[str]:
    return [str(settings.rasa_python), "-m", "nlu.rasa_cli", *args]


def validate(ctx: JobContext, lo: float = 0.0, hi: float = 0.1) -> None:
    s = ctx.settings
    if (s.data_dir / "services").is_dir():
        ctx.update("export knowledge-base synonyms", lo)
        # English names, then each language overlay's (data/lang/<code>): one bilingual model learns all.
        overlays = sorted(p.name for p in (s.data_dir / "lang").glob("*") if p.is_dir())
        for lang in ["en", *overlays]:
            target = s.nlu_dir / ("generated_kb.yml" if lang == "en" else f"generated_kb_{lang}.yml")
            out = subprocess.run(
                [str(s.app_python), "-m", "kb", "--data", str(s.data_dir), "export-nlu", "--lang", lang, str(target)],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
            )
            ctx.say((out.stdout + out.stderr).strip())
            if out.returncode != 0:
                raise JobFailed("the knowledge base has errors (see the log); nothing was trained")
    ctx.update("validate training data (rasa data validate)", lo + (hi - lo) / 3)
    code = _run(
        ctx, rasa(s, "data", "validate", "--domain", "domain.yml", "--data", *TRAIN_DATA, "--fail-on-warnings"), lo, hi
    )
    if code != 0:
        raise JobFailed("validation failed: fix the problems listed in the log; nothing was trained")
    ctx.update(progress=hi)
    ctx.say("training data is valid")


def train(ctx: JobContext, lo: float = 0.1, hi: float = 0.75) -> str:
    s = ctx.settings
    name = f"lobby-{fingerprint(s)}"
    if model_path(s, name).exists():
        ctx.say(f"{name} is already trained from exactly this data and configuration")
        ctx.update(progress=hi)
        return name
    ctx.update(f"train {name}", lo)
    start = time.monotonic()
    code = _run(
        ctx,
        rasa(
            s,
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            *TRAIN_DATA,
            "--out",
            str(s.model_dir),
            "--fixed-model-name",
            name,
            "--augmentation",
            "0",
        ),
        lo,
        hi,
    )
    if code != 0 or not model_path(s, name).exists():
        raise JobFailed(f"training failed (exit {code}); see the log")
    seconds = time.monotonic() - start
    (s.model_dir / f"{name}.train_seconds").write_text(f"{seconds:.0f}")
    ctx.say(f"trained {name} in {seconds:.0f} s")
    return name


def evaluate(ctx: JobContext, name: str, lo: float = 0.75, hi: float = 1.0) -> dict:
    ctx.update(f"evaluate {name}", lo)
    report = evaluate_model(ctx.settings, model_path(ctx.settings, name), live_model(ctx.settings), ctx.say)
    ctx.update(progress=hi)
    return report


def _pipeline(ctx: JobContext, kind: str, model: str | None) -> dict:
    if kind == "validate":
        validate(ctx, 0.0, 1.0)
        return {"valid": True}
    if kind == "evaluate":
        assert model
        return summary(evaluate(ctx, model, 0.0, 1.0))
    validate(ctx)
    name = train(ctx)
    return summary(evaluate(ctx, name))


KINDS = ("validate", "train", "evaluate")


def create(settings: Settings, state: State, kind: str, user: str, model: str | None = None) -> int:
    if kind not in KINDS:
        raise ValueError(kind)
    settings.ensure_dirs()
    with state.engine.begin() as conn:
        running = conn.execute(select(jobs.c.id, jobs.c.kind).where(jobs.c.status.in_(("queued", "running")))).first()
        if running:
            raise JobBusy(f"job #{running.id} ({running.kind}) is still running; wait for it to finish")
        job_id = conn.execute(
            insert(jobs).values(
                kind=kind,
                user=user,
                status="queued",
                step="",
                progress=0.0,
                created_at=time.time(),
                result=json.dumps({"model": model} if model else {}),
            )
        ).inserted_primary_key[0]
    state.log(user, f"job:{kind}", job=job_id, model=model)
    return job_id


class JobBusy(Exception):
    pass


def run(settings: Settings, state: State, job_id: int, echo: Callable[[str], None] | None = None) -> dict:
    """Run a created job to the end (in the caller's thread); never raises for job failures."""
    with state.engine.connect() as conn:
        job = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().one()
    ctx = JobContext(settings, state, job_id, echo)
    with state.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="running"))
    model = json.loads(job["result"] or "{}").get("model")
    try:
        with _RUNNING:
            result = _pipeline(ctx, job["kind"], model)
        status = "succeeded"
    except JobFailed as exc:
        result, status = {"error": str(exc)}, "failed"
        ctx.say(f"FAILED: {exc}")
    except Exception as exc:  # a crash is reported in the page, not lost in a thread
        result, status = {"error": f"{type(exc).__name__}: {exc}"}, "failed"
        ctx.say(traceback.format_exc())
    with state.engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                status=status,
                finished_at=time.time(),
                result=json.dumps(result),
                progress=1.0 if status == "succeeded" else job["progress"],
            )
        )
    ctx.say(f"job {status}")
    return {"status": status, **result}


def finish(state: State, job_id: int, status: str, result: dict) -> None:
    """Close a job whose steps were run directly (not through `run`)."""
    with state.engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(status=status, finished_at=time.time(), result=json.dumps(result), progress=1.0)
        )


def start_background(settings: Settings, state: State, job_id: int) -> threading.Thread:
    t = threading.Thread(target=run, args=(settings, state, job_id), name=f"trainer-job-{job_id}", daemon=True)
    t.start()
    return t


def get(state: State, job_id: int) -> dict | None:
    with state.engine.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return {**row, "result": json.loads(row["result"] or "{}")} if row else None


def recent(state: State, limit: int = 20) -> list[dict]:
    with state.engine.connect() as conn:
        rows = conn.execute(select(jobs).order_by(jobs.c.id.desc()).limit(limit)).mappings().all()
    return [{**r, "result": json.loads(r["result"] or "{}")} for r in rows]


def log_tail(settings: Settings, job_id: int, lines: int = 200) -> str:
    path = settings.state_dir / "jobs" / f"{job_id}.log"
    if not path.exists():
        return ""
    # errors="replace": the job may be appending a multi-byte character at this very moment.
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def mark_abandoned(state: State) -> None:
    """Jobs left running by a stopped trainer process are failed, not shown as running forever."""
    with state.engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.status.in_(("queued", "running")))
            .values(status="failed", result=json.dumps({"error": "the trainer stopped during this job"}))
        )
