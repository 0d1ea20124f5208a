"""Long work off the script thread: a bounded, thread-safe runner shared by the app's sessions.

Streamlit runs each session's script in a thread of its own; a plan that takes a minute inside it
blocks that visitor's page and holds one of the server's two cores while its status says nothing.
:class:`JobRunner` runs such work in its own worker threads (at most ``workers`` at once, the rest
wait in order), reports progress (a fraction and a step count) and lets a visitor cancel.

Jobs are keyed by what they compute, so two sessions asking for the same plan share one job;
each session is a *waiter* of the job, and cancelling removes that waiter only: the work stops
(at its next progress report) once no session waits for it any more. Finished jobs are kept for
their waiters to collect, at most ``max_jobs`` of them holding at most ``max_bytes`` of results
(estimated, :func:`geo.cache.estimate_nbytes`; the oldest finished go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from geo.cache import estimate_nbytes
from geo.errors import PhusongError

Progress = Callable[[float, str], None]


class Cancelled(PhusongError):
    """The work was cancelled: nobody waits for its result any more."""


class Job:
    """One piece of long work: its progress, waiters and (once done) result or error."""

    def __init__(self, key: Hashable, steps: int):
        self.key, self.steps = key, steps
        self.future: Future = Future()
        self.fraction, self.step, self.message = 0.0, 0, ""
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.nbytes = 0  # the result's estimated bytes, once done
        self._waiters: set[Hashable] = set()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    # --- from the worker ---------------------------------------------------------------------
    def report(self, message: str = "") -> None:
        """One step done (of about ``steps``); raises :class:`Cancelled` if nobody waits."""
        if self._cancelled.is_set():
            raise Cancelled("cancelled")
        with self._lock:
            self.step += 1
            self.fraction = min(0.99, self.step / max(1, self.steps))
            self.message = message

    # --- from the sessions -------------------------------------------------------------------
    def wait_for(self, waiter: Hashable) -> None:
        with self._lock:
            self._waiters.add(waiter)

    def cancel(self, waiter: Hashable) -> bool:
        """``waiter`` no longer waits; the work stops if nobody else does. True if it stops."""
        with self._lock:
            self._waiters.discard(waiter)
            if not self._waiters and not self.future.done():
                self._cancelled.set()
                return True
        return False

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def elapsed_s(self) -> float:
        """Seconds since the work started (0 while it waits its turn)."""
        return 0.0 if self.started is None else time.monotonic() - self.started

    @property
    def running(self) -> bool:
        return self.started is not None and not self.future.done()

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> Any:
        """The work's result; raises its error (:class:`Cancelled` when cancelled)."""
        return self.future.result(timeout=0)


class JobRunner:
    """Runs :class:`Job` s in at most ``workers`` threads; keeps at most ``max_jobs`` jobs, whose
    finished results hold at most ``max_bytes`` (estimated by ``sizeof``; the latest finished job
    is kept whatever its size, for its waiters to collect)."""

    def __init__(
        self,
        *,
        workers: int = 1,
        max_jobs: int = 32,
        max_bytes: float = 128e6,
        sizeof: Callable[[Any], int] = estimate_nbytes,
    ):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="phusong-job")
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.max_jobs, self.max_bytes, self.sizeof = max_jobs, max_bytes, sizeof

    def submit(
        self, key: Hashable, work: Callable[[Progress], Any], *, waiter: Hashable, steps: int = 10
    ) -> Job:
        """The job computing ``key`` (started now unless one is kept that was not cancelled: a
        failed job is kept with its error, so a rerun shows the error instead of retrying it),
        with ``waiter`` waiting for it. ``work(report)`` calls ``report(message)`` per step."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.cancelled:
                job = Job(key, steps)
                self._jobs[key] = job
                self._jobs.move_to_end(key)
                self._pool.submit(self._run, job, work)
                self._trim()
            job.wait_for(waiter)
            return job

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def get(self, key: Hashable) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def discard(self, key: Hashable) -> None:
        """Forget ``key``'s job once done (its result collected, e.g. an imported dataset that
        now lives in the session): the runner stops holding its memory."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.done():
                del self._jobs[key]

    def busy_with_other(self, job: Job) -> bool:
        """True while another job runs (``job`` then waits its turn)."""
        with self._lock:
            return any(j is not job and j.running for j in self._jobs.values())

    def waiting(self) -> int:
        """Jobs submitted and not yet started (the queue before a visitor's)."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.started is None and not j.done())

    def _run(self, job: Job, work: Callable[[Progress], Any]) -> None:
        job.started = time.monotonic()
        try:
            if job.cancelled:
                raise Cancelled("cancelled")
            result = work(job.report)
            job.nbytes = int(self.sizeof(result))
        except BaseException as exc:  # the waiters see it through Job.result()
            with self._lock:
                job.future.set_exception(exc)
                self._trim(keep=job)
            return
        with self._lock:  # done and trimmed at once: a waiter never sees the bounds passed
            job.future.set_result(result)
            self._trim(keep=job)

    @property
    def nbytes(self) -> int:
        """Estimated bytes of the finished results kept."""
        with self._lock:
            return sum(j.nbytes for j in self._jobs.values() if j.done())

    def _trim(self, keep: Job | None = None) -> None:
        """Under the lock: forget the oldest finished jobs (but ``keep``) beyond the bounds."""
        finished = [k for k, j in self._jobs.items() if j.done() and j is not keep]
        held = sum(self._jobs[k].nbytes for k in finished)
        if keep is not None and self._jobs.get(keep.key) is keep:
            held += keep.nbytes
        while (len(self._jobs) > self.max_jobs or held > self.max_bytes) and finished:
            held -= self._jobs.pop(finished.pop(0)).nbytes

    def shutdown(self) -> None:
        for job in list(self._jobs.values()):
            job._cancelled.set()
        self._pool.shutdown(wait=True, cancel_futures=False)
