"""One worker thread per engine kind, shared by every kiosk session of the bridge, running jobs by deadline.

Why: the speech models are CPU-bound and the box has two cores. When each
session ran its decodes and syntheses in its own worker thread, they queued on
the model's lock in no particular order, so a citizen's final transcript could
wait behind other kiosks' partial transcripts, and a reply's first sentence
behind other replies' later sentences. Here every job gets a deadline (its
submit time plus a slack that says how long it can wait: none for what a
citizen is waiting for, more for what can come later) and the worker runs the
earliest deadline first. A job that waited longer than its slack ages to the
front, so nothing starves.

Jobs come from asyncio code (several event loops in the tests, where bridges
share engines), run in the worker thread, and resolve an asyncio future on the
loop that submitted them. A job whose future was cancelled before it started
(a speculative decode the citizen talked over, a barge-in) is never run.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_LOG = logging.getLogger(__name__)


@dataclass(order=True)
class Job:
    """A unit of work; `kind` and `owner` let the queue's user drop jobs by rule (e.g. one session's partials)."""

    deadline: float
    seq: int
    fn: Callable[[], Any] = field(compare=False)
    kind: str = field(compare=False, default="")
    owner: object = field(compare=False, default=None)
    future: asyncio.Future | None = field(compare=False, default=None, repr=False)
    loop: asyncio.AbstractEventLoop | None = field(compare=False, default=None, repr=False)
    submitted: float = field(compare=False, default=0.0)
    started: bool = field(compare=False, default=False)
    cancelled: bool = field(compare=False, default=False)


class WorkQueue:
    """Earliest-deadline-first queue served by `workers` daemon threads (started on first use)."""

    def __init__(self, name: str, workers: int = 1):
        self.name = name
        self.workers = workers
        self._heap: list[Job] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self.running: list[Job] = []
        self.counters: Counter[str] = Counter()  # "<kind>_run", "<kind>_dropped", "<kind>_wait_ms" (sum)

    # --- called from the event loop -------------------------------------------------------------------------
    def submit(self, fn: Callable[[], Any], kind: str, slack_s: float = 0.0, owner: object = None) -> Job:
        """Queue `fn` (run in the worker thread); await `job.future` for its result."""
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        job = Job(now + slack_s, next(self._seq), fn, kind, owner, loop.create_future(), loop, now)
        job.future.add_done_callback(lambda f, job=job: self._on_done(job, f))
        with self._cond:
            self._start_threads()
            heapq.heappush(self._heap, job)
            self._cond.notify()
        return job

    def count(self, key: str, n: int = 1) -> None:
        with self._cond:
            self.counters[key] += n

    def _on_done(self, job: Job, future: asyncio.Future) -> None:
        if future.cancelled():
            job.cancelled = True  # the worker skips it if it has not started

    def queued(self, kind: str | None = None, owner: object = None) -> list[Job]:
        """Jobs waiting (not started), optionally of one kind and/or one owner."""
        with self._cond:
            return [
                j
                for j in self._heap
                if not j.cancelled and (kind is None or j.kind == kind) and (owner is None or j.owner is owner)
            ]

    def busy(self, kind: str) -> bool:
        """Whether a job of `kind` is waiting or running."""
        with self._cond:
            return any(j.kind == kind and not (j.cancelled or j.future.cancelled()) for j in self._heap) or any(
                j.kind == kind for j in self.running
            )

    def drop(self, jobs: list[Job], result: Any = None) -> None:
        """Take waiting `jobs` out of the queue; their futures resolve to `result` (the caller's "dropped")."""
        with self._cond:
            ids = {id(j) for j in jobs if not j.started}
            if not ids:
                return
            self._heap = [j for j in self._heap if id(j) not in ids]
            heapq.heapify(self._heap)
        for job in jobs:
            if id(job) in ids:
                self.count(f"{job.kind}_dropped")
                self._resolve(job, result, None)

    # --- the worker threads -----------------------------------------------------------------------------------
    def _start_threads(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                job = heapq.heappop(self._heap)
                if job.cancelled or job.future.cancelled():  # (a read of its state; the loop owns the future)
                    continue
                job.started = True
                self.running.append(job)
                self.counters[f"{job.kind}_run"] += 1
                self.counters[f"{job.kind}_wait_ms"] += round((time.monotonic() - job.submitted) * 1000)
            try:
                result, error = job.fn(), None
            except Exception as exc:  # handed to the awaiting session, which reports it and goes on
                result, error = None, exc
            finally:
                with self._cond:
                    self.running.remove(job)
            self._resolve(job, result, error)

    @staticmethod
    def _resolve(job: Job, result: Any, error: BaseException | None) -> None:
        def settle() -> None:
            if job.future.done():
                return
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)

        try:
            job.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # that session's event loop has closed: nobody waits for the result
            _LOG.debug("%s: result for a closed event loop dropped", job.kind)
