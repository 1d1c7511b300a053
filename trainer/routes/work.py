"""Background jobs (validate, train, evaluate), models, evaluation reports and the roll-out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trainer import jobs, models
from trainer.evaluation import as_live, confusion_path, load_report, with_comparison
from trainer.nludata import Refused
from trainer.routes import deps
from trainer.routes.deps import Trainer, User, flash, missing, page, redirect, require_role, signed_in_form, trainer_of

router = APIRouter()
# A job id the database can hold: a larger number was a 500 (SQLite's INTEGER is 64-bit; found by tests/fuzz).
JobId = deps.RowId
# Model names become file names (report, heat map, model archive): a name too long for the file system was a
# 500. Trained models are named `lobby-<12 hex digits>`; 40 characters (160 bytes of UTF-8) leave room for the
# suffixes within the 255 bytes a file name may have, and the language of a heat map is a short code.
ModelName = Annotated[str, PathParam(min_length=1, max_length=40)]
LanguageCode = Annotated[str, PathParam(min_length=1, max_length=16)]


# ---- jobs --------------------------------------------------------------------------------------
@router.get("/jobs")
async def job_list(request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)):
    names = [m.name for m in models.list_models(app.settings, None)]
    return page(request, "jobs.html", user, jobs=jobs.recent(app.state), models=names)


@router.post("/jobs")
async def job_start(
    request: Request,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("train")),
    app: Trainer = Depends(trainer_of),
):
    kind = str(form.get("kind", ""))
    if kind not in jobs.KINDS:
        flash(request, f"Unknown job kind {kind!r}.", "error")
        return redirect("/jobs")
    try:
        job_id = jobs.create(app.settings, app.state, kind, user[0], form.get("model") or None)
    except jobs.JobBusy as exc:
        flash(request, str(exc), "error")
        return redirect("/jobs")
    jobs.start_background(app.settings, app.state, job_id)
    return redirect(f"/jobs/{job_id}")


@router.get("/jobs/{job_id}")
async def job_page(
    request: Request, job_id: JobId, user: User = Depends(deps.current_user), app: Trainer = Depends(trainer_of)
):
    job = jobs.get(app.state, job_id)
    if job is None:
        return missing(request, user, f"No job {job_id}.")
    return page(request, "job.html", user, job=job, log=jobs.log_tail(app.settings, job_id))


@router.get("/jobs/{job_id}/status", dependencies=[Depends(deps.current_user)])
async def job_status(job_id: JobId, app: Trainer = Depends(trainer_of)):
    """What the job page polls for live progress and the log."""
    job = jobs.get(app.state, job_id)
    if job is None:
        return JSONResponse({"error": "no such job"}, status_code=404)
    return JSONResponse(
        {
            "id": job_id,
            "kind": job["kind"],
            "status": job["status"],
            "step": job["step"],
            "progress": job["progress"],
            "result": job["result"],
            "log": jobs.log_tail(app.settings, job_id),
        }
    )


# ---- models, reports, roll-out -----------------------------------------------------------------
@router.get("/models")
async def model_list(
    request: Request, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)
):
    live = models.live_model(app.settings)
    return page(
        request,
        "models.html",
        user,
        models=models.list_models(app.settings, live),
        live=live,
        history=models.history(app.state),
        rasa_url=app.settings.rasa_url,
    )


@router.get("/reports/{name}")
async def report(
    request: Request, name: ModelName, user: User = Depends(require_role("review")), app: Trainer = Depends(trainer_of)
):
    settings = app.settings
    rep = load_report(settings, name)
    if rep is None:
        return missing(request, user, f"{name} has not been evaluated.", title="No report")
    live = models.live_model(settings)
    if live and live != name:  # the gate that counts is the one against the model live now, per language
        comparison = await run_in_threadpool(models.comparison_for, settings, rep, live, lambda _: None)
        rep = with_comparison(rep, comparison)
    elif not rep.get("gate"):
        rep = as_live(rep, live, settings.gate_margin, "this is the live model")
    return page(request, "report.html", user, rep=rep, live=live, gate=rep["gate"])


@router.get("/reports/{name}/confusion-{language}.png", dependencies=[Depends(deps.current_user)])
async def report_png(name: ModelName, language: LanguageCode, app: Trainer = Depends(trainer_of)):
    """One language's confusion-matrix heat map."""
    path = confusion_path(app.settings, Path(name).name, Path(language).name)
    if not path.exists():
        return Response(status_code=404)
    return FileResponse(path, media_type="image/png")


def _flash_not_reached(request: Request, out: dict) -> None:
    """Several Rasa instances: name each one that did not take the model, so an operator can act on it."""
    for url, reason in (out.get("not_reached") or {}).items():
        flash(request, f"The Rasa instance at {url} did not take {out['model']}: {reason}", "error")


@router.post("/models/{name}/activate")
async def activate(
    request: Request,
    name: ModelName,
    form: dict = Depends(signed_in_form),
    user: User = Depends(require_role("activate")),
    app: Trainer = Depends(trainer_of),
):
    try:
        # Loading a model takes about a minute: off the event loop, so other pages stay responsive.
        reason = str(form.get("override_reason") or "")
        out = await run_in_threadpool(
            models.activate, app.settings, app.state, name, user[0], reason, say=lambda _: None
        )
        flash(request, f"{out['model']} is live (replacing {out['previous']}).")
        _flash_not_reached(request, out)
    except Refused as exc:
        flash(request, str(exc), "error")
    except RuntimeError as exc:
        flash(request, f"Activation failed, the live model is unchanged: {exc}", "error")
    return redirect("/models")


@router.post("/rollback", dependencies=[Depends(signed_in_form)])  # the form has no fields: CSRF only
async def rollback(
    request: Request, user: User = Depends(require_role("rollback")), app: Trainer = Depends(trainer_of)
):
    try:
        out = await run_in_threadpool(models.rollback, app.settings, app.state, user[0], say=lambda _: None)
        flash(request, f"Rolled back: {out['model']} is live again (replacing {out['previous']}).")
        _flash_not_reached(request, out)
    except (Refused, RuntimeError) as exc:
        flash(request, str(exc), "error")
    return redirect("/models")
