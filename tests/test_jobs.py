"""Long work off the script thread (geo/ui/jobs.py): shared, bounded, cancellable."""

from __future__ import annotations

import threading
import time

import pytest

from geo.ui.jobs import Cancelled, JobRunner


def wait(job, timeout=10):
    job.future.exception(timeout=timeout) if not job.future.done() else None
    return job


@pytest.fixture
def runner():
    r = JobRunner(workers=1, max_jobs=3)
    yield r
    r.shutdown()


def test_result_progress_and_one_job_for_two_sessions(runner):
    gate, calls = threading.Event(), []

    def work(report):
        calls.append(1)
        report("one")
        gate.wait(5)
        report("two")
        return 42

    job = runner.submit("plan", work, waiter="A", steps=4)
    assert runner.submit("plan", work, waiter="B", steps=4) is job  # the same work, shared
    gate.set()
    assert wait(job).result() == 42
    assert calls == [1] and job.step == 2 and job.fraction == 0.5 and job.message == "two"
    assert runner.submit("plan", work, waiter="C") is job  # kept for its waiters to collect


def test_cancel_stops_the_work_only_when_nobody_waits(runner):
    started, gate = threading.Event(), threading.Event()

    def work(report):
        started.set()
        gate.wait(5)
        report("after the gate")  # raises Cancelled once nobody waits
        return "finished"

    job = runner.submit("plan", work, waiter="A")
    runner.submit("plan", work, waiter="B")
    started.wait(5)
    assert job.cancel("A") is False  # B still waits
    assert job.cancel("B") is True
    gate.set()
    with pytest.raises(Cancelled):
        wait(job).result()
    again = runner.submit("plan", work, waiter="A")  # asked again: new work
    assert again is not job
    assert wait(again).result() == "finished"


def test_one_worker_runs_jobs_in_order_and_a_waiting_job_can_be_cancelled(runner):
    gate, order = threading.Event(), []

    def slow(report):
        gate.wait(5)
        order.append("slow")

    first = runner.submit("first", slow, waiter="A")
    second = runner.submit("second", lambda report: order.append("second"), waiter="B")
    third = runner.submit("third", lambda report: order.append("third"), waiter="C")
    assert runner.waiting() == 2
    third.cancel("C")  # never starts
    gate.set()
    for job in (first, second, third):
        wait(job)
    assert order == ["slow", "second"]
    with pytest.raises(Cancelled):
        third.result()


def test_a_failed_job_keeps_its_error_instead_of_running_again(runner):
    calls = []

    def broken(report):
        calls.append(1)
        raise ValueError("no candidates")

    job = wait(runner.submit("plan", broken, waiter="A"))
    with pytest.raises(ValueError, match="no candidates"):
        job.result()
    assert runner.submit("plan", broken, waiter="A") is job and calls == [1]


def test_finished_jobs_beyond_the_bound_are_forgotten_oldest_first(runner):
    jobs = [wait(runner.submit(i, lambda report, i=i: i, waiter="A")) for i in range(5)]
    assert [runner.get(i) for i in range(5)] == [None, None, *jobs[2:]]


def test_busy_with_other_says_whether_a_job_waits_for_another(runner):
    gate = threading.Event()
    first = runner.submit("first", lambda report: gate.wait(5), waiter="A")
    second = runner.submit("second", lambda report: None, waiter="B")
    for _ in range(50):
        if first.running:
            break
        threading.Event().wait(0.05)
    assert runner.busy_with_other(second) and not runner.busy_with_other(first)
    gate.set()
    wait(first), wait(second)
    assert not runner.busy_with_other(second)


def test_finished_results_beyond_the_byte_budget_are_forgotten_but_the_latest_kept():
    r = JobRunner(workers=1, max_jobs=10, max_bytes=250, sizeof=len)
    try:
        first = wait(r.submit("a", lambda report: b"0" * 100, waiter="A"))
        wait(r.submit("b", lambda report: b"0" * 100, waiter="A"))
        assert r.get("a") is first and r.nbytes == 200
        wait(r.submit("c", lambda report: b"0" * 100, waiter="A"))  # 300 > 250: a goes
        assert r.get("a") is None and r.nbytes == 200
        big = wait(r.submit("big", lambda report: b"0" * 1000, waiter="B"))
        # larger than the whole budget: kept alone for its waiter, the others forgotten
        assert r.get("big") is big and big.result() == b"0" * 1000
        assert [r.get(k) for k in "bc"] == [None, None] and r.nbytes == 1000
    finally:
        r.shutdown()


def test_elapsed_counts_from_the_start_not_from_the_submission(runner):
    gate = threading.Event()
    first = runner.submit("first", lambda report: gate.wait(5), waiter="A")
    second = runner.submit("second", lambda report: 7, waiter="B")
    assert second.elapsed_s == 0.0  # waits its turn behind the first
    while first.started is None:
        time.sleep(0.01)
    time.sleep(0.05)
    assert first.elapsed_s >= 0.05
    gate.set()
    assert wait(second).result() == 7 and second.elapsed_s < first.elapsed_s


def test_a_collected_job_can_be_discarded_but_not_a_running_one(runner):
    gate = threading.Event()
    running = runner.submit("running", lambda report: gate.wait(5), waiter="A")
    done = runner.submit("done", lambda report: "data", waiter="B")
    runner.discard("running")  # still running: kept for its waiter
    assert runner.get("running") is running
    gate.set()
    wait(running), wait(done)
    runner.discard("done")
    assert runner.get("done") is None and runner.get("running") is running
    runner.discard("never submitted")  # nothing to forget: no error
