"""The lane: synchronous jobs in arrival order, one per event-loop turn, one queue per loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from revspine.lane import Lane


def test_jobs_run_in_arrival_order_and_others_run_between_them():
    lane, seen = Lane(), []

    async def main() -> None:
        async def probe() -> None:
            seen.append("probe")

        jobs = [asyncio.ensure_future(lane.run(lambda i=i: seen.append(i) or i)) for i in range(3)]
        await asyncio.sleep(0)  # the jobs are queued; now another coroutine wants to run
        asyncio.ensure_future(probe())
        assert await asyncio.gather(*jobs) == [0, 1, 2]

    asyncio.run(main())
    assert [s for s in seen if s != "probe"] == [0, 1, 2]
    assert seen.index("probe") < seen.index(2)  # the loop was not held for the whole queue


def test_a_failing_job_fails_only_its_own_request():
    lane = Lane()

    def boom() -> None:
        raise ValueError("bad case")

    async def main() -> list[object]:
        return await asyncio.gather(lane.run(boom), lane.run(lambda: "fine"), return_exceptions=True)

    first, second = asyncio.run(main())
    assert isinstance(first, ValueError) and second == "fine"


def test_event_loops_in_different_threads_keep_their_own_queues():
    """Test clients run one event loop per thread on the same app: no job may cross loops."""
    lane, results, errors = Lane(), {}, []

    def client(k: int) -> None:
        async def main() -> list[int]:
            return list(await asyncio.gather(*(lane.run(lambda j=j: (k, j, threading.get_ident())) for j in range(50))))
        try:
            results[k] = asyncio.run(main())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a lane job was lost (its request would hang)"
    assert not errors
    for k, answers in results.items():
        assert [a[:2] for a in answers] == [(k, j) for j in range(50)]
        assert len({a[2] for a in answers}) == 1  # ran on the client's own loop thread


@pytest.mark.parametrize("n", [1, 10])
def test_a_cancelled_request_is_skipped(n):
    lane, ran = Lane(), []

    async def main() -> None:
        waiting = [asyncio.ensure_future(lane.run(lambda i=i: ran.append(i))) for i in range(n + 1)]
        waiting[0].cancel()
        await asyncio.gather(*waiting, return_exceptions=True)

    asyncio.run(main())
    assert ran == list(range(1, n + 1))
