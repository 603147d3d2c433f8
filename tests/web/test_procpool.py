"""The worker pool's hand-off (revspine/procpool.py): jobs go over one socket per worker, read and written by
the event loop; large jobs and answers cross whole, a worker that dies is replaced and its job run once
more (a second death is an error, not a hang), several event loops can share one pool, and close() cancels
what waits and leaves the pool usable."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from revspine.assesspool import AssessBusy
from revspine.procpool import ProcessPool, WorkerDied


def _pool(workers: int = 1, queue: int = 4) -> ProcessPool:
    return ProcessPool(workers, queue, AssessBusy)


def test_large_jobs_and_answers_cross_whole_and_errors_come_back_as_raised() -> None:
    async def main(pool: ProcessPool) -> tuple[int, bytes, list[int], BaseException | None]:
        sent = await pool.run(len, b"x" * 3_000_000)  # more than the socket takes at once
        answer = await pool.run(bytes, 3_000_000)
        many = await asyncio.gather(*(pool.run(abs, -i) for i in range(40)))  # more than workers + queue over time
        try:
            await pool.run(int, "not a number")
        except ValueError as exc:
            return sent, answer, list(many), exc
        return sent, answer, list(many), None

    pool = _pool(2, 64)
    try:
        sent, answer, many, error = asyncio.run(main(pool))
    finally:
        pool.close(wait=True)
    assert sent == 3_000_000 and answer == bytes(3_000_000)
    assert many == list(range(40))
    assert isinstance(error, ValueError)


def test_a_worker_killed_during_a_job_is_replaced_and_the_job_runs_again_once() -> None:
    async def kill_while_running(pool: ProcessPool, times: int) -> object:
        first = pool.pids()
        job = asyncio.ensure_future(pool.run(time.sleep, 3))
        victims = []
        for _ in range(times):
            await asyncio.sleep(1.0)
            [pid] = pool.pids()
            victims.append(pid)
            os.kill(pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(job, 120)
        except WorkerDied as exc:
            return exc
        assert victims[0] == first[0]
        return "done"

    pool = _pool()
    try:
        assert asyncio.run(kill_while_running(pool, 1)) == "done"  # the second worker finished it
        assert isinstance(asyncio.run(kill_while_running(pool, 2)), WorkerDied)  # a second death: an error
        assert asyncio.run(_one(pool)) == 7  # and the pool still works
    finally:
        pool.close(wait=True)


async def _one(pool: ProcessPool) -> int:
    return await pool.run(abs, -7)


def test_event_loops_in_several_threads_share_one_pool() -> None:
    pool = _pool(1, 64)
    got: list[int] = []

    def thread(k: int) -> None:
        async def main() -> list[int]:
            return list(await asyncio.gather(*(pool.run(abs, -(k * 100 + i)) for i in range(10))))
        got.extend(asyncio.run(main()))

    try:
        threads = [threading.Thread(target=thread, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        pool.close(wait=True)
    assert sorted(got) == sorted(k * 100 + i for k in range(3) for i in range(10))


def test_close_cancels_what_waits_and_the_next_job_starts_new_workers() -> None:
    async def main(pool: ProcessPool) -> tuple[bool, int]:
        running = asyncio.ensure_future(pool.run(time.sleep, 30))
        waiting = asyncio.ensure_future(pool.run(abs, -1))
        await asyncio.sleep(0.5)
        old = pool.pids()
        pool.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        with pytest.raises(asyncio.CancelledError):
            await running
        value = await pool.run(abs, -5)
        return pool.pids() != old, value

    pool = _pool()
    try:
        new_workers, value = asyncio.run(main(pool))
    finally:
        pool.close(wait=True)
    assert new_workers and value == 5


def test_beyond_its_queue_the_pool_is_busy() -> None:
    async def main(pool: ProcessPool) -> type[BaseException] | None:
        first = asyncio.ensure_future(pool.run(time.sleep, 1))
        second = asyncio.ensure_future(pool.run(time.sleep, 0))
        await asyncio.sleep(0)
        try:
            await pool.run(abs, 1)
        except AssessBusy as exc:
            return type(exc)
        finally:
            await asyncio.gather(first, second)
        return None

    pool = _pool(1, 1)
    try:
        assert asyncio.run(main(pool)) is AssessBusy
    finally:
        pool.close(wait=True)


def test_a_worker_left_running_a_job_of_a_closed_event_loop_is_replaced() -> None:
    """A test app's loop may close with a job still running: its worker would never be read again."""
    async def leave_running(pool: ProcessPool) -> list[int]:
        asyncio.ensure_future(pool.run(time.sleep, 60))
        await asyncio.sleep(0.5)
        return pool.pids()  # asyncio.run cancels the job's task and closes the loop

    pool = _pool()
    try:
        old = asyncio.run(leave_running(pool))
        started = time.monotonic()
        assert asyncio.run(_one(pool)) == 7
        assert time.monotonic() - started < 50 and pool.pids() != old
    finally:
        pool.close(wait=True)
