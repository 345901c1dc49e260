"""Route planning as a background job, so the supervisor's page shows progress while it solves.

Planning takes the site's whole budget (10 s by default): longer than a request should hold a
page. A job runs `plan_routes` in a thread, keeps the solver's progress (elapsed, stage, best
distance so far) for the page to poll, and ends `done` only when every store is served with no
violation; `incomplete` when the saved plan leaves a store out or breaks a constraint; `failed`
with the error when nothing could be planned. Jobs live in the node's memory: a restarted node
forgets them, but the plan a finished job saved is in the store.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from edge.services.floor.errors import FloorError, NotFound
from routing.vrp.solve import Progress

State = Literal["running", "done", "incomplete", "failed"]
KEEP = 50  # finished jobs remembered, newest first


@dataclass
class PlanJob:
    job_id: str
    delivery_date: str
    budget_s: float
    started: float = field(default_factory=time.monotonic)
    state: State = "running"
    stage: str = "starting"
    best_distance_m: float | None = None
    ended: float | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def view(self) -> dict[str, Any]:
        elapsed = (self.ended or time.monotonic()) - self.started
        progress: dict[str, Any] = {"elapsed_s": round(elapsed, 2), "budget_s": self.budget_s, "stage": self.stage}
        if self.best_distance_m is not None:
            progress["best_km"] = round(self.best_distance_m / 1000, 2)
        out: dict[str, Any] = {"job_id": self.job_id, "delivery_date": self.delivery_date, "state": self.state,
                               "progress": progress}
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


Run = Callable[[Callable[[Progress], None]], dict[str, Any]]


class PlanJobs:
    """The node's planning jobs; one per date may run at a time (a second would undo the first)."""

    def __init__(self) -> None:
        self._jobs: dict[str, PlanJob] = {}
        self._lock = threading.Lock()

    def start(self, delivery_date: str, budget_s: float, run: Run) -> PlanJob:
        """Start `run(on_progress)` (it plans and saves, returning the plan's summary) in a thread."""
        with self._lock:
            busy = [j for j in self._jobs.values() if j.delivery_date == delivery_date and j.state == "running"]
            if busy:
                raise FloorError("plan_running", f"routes for {delivery_date} are being planned (job"
                                 f" {busy[0].job_id}): wait for it to end")
            job = PlanJob(str(uuid.uuid4()), delivery_date, budget_s)
            self._jobs[job.job_id] = job
            for old in sorted(self._jobs.values(), key=lambda j: j.started)[:-KEEP]:
                if old.state != "running":
                    del self._jobs[old.job_id]
        threading.Thread(target=self._work, args=(job, run), name=f"plan-{delivery_date}", daemon=True).start()
        return job

    def get(self, job_id: str) -> PlanJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound("no_plan_job", f"no planning job {job_id} (a restarted node forgets its jobs; the plan"
                           " a finished job saved is kept)")
        return job

    def _work(self, job: PlanJob, run: Run) -> None:
        def on_progress(p: Progress) -> None:
            job.stage = p.stage
            if p.best_distance is not None:
                job.best_distance_m = p.best_distance

        try:
            result = run(on_progress)
        except FloorError as e:
            job.error, job.state = {"code": e.code, "message": str(e)}, "failed"
        except Exception as e:  # a job that dies must say so, not stay "running" for ever
            job.error, job.state = {"code": "plan_failed", "message": f"{type(e).__name__}: {e}"}, "failed"
        else:
            job.result, job.state = result, "done" if result["status"] == "done" else "incomplete"
            job.best_distance_m = result["km"] * 1000
        finally:
            job.ended, job.stage = time.monotonic(), "finished"


def of(app: Any) -> PlanJobs:
    """The app's planning jobs (made on first use; one per node process)."""
    jobs = getattr(app.state, "plan_jobs", None)
    if jobs is None:
        jobs = app.state.plan_jobs = PlanJobs()
    return jobs
