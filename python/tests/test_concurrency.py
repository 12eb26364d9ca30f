"""One verifier shared by threads and asyncio tasks; the event loop never blocks on a fetch."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

JWKS = "/.well-known/jwks.json"


def test_8_threads_cold_cache_one_fetch(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock)
    tokens = [fresh_mock.mint(username=f"u{i}") for i in range(8)]
    barrier = threading.Barrier(8)

    def work(token: str) -> str:
        barrier.wait()
        return v.verify(token).username

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(work, tokens))
    assert names == [f"u{i}" for i in range(8)]
    assert fresh_mock.request_count_for(JWKS) == 1
    assert v.key_fetch_count == 1


def test_100_tasks_cold_cache_one_fetch(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock)
    tokens = [fresh_mock.mint(username=f"t{i}") for i in range(100)]

    async def run() -> list[str]:
        found = await asyncio.gather(*(v.verify_async(t) for t in tokens))
        return [i.username for i in found]

    assert asyncio.run(run()) == [f"t{i}" for i in range(100)]
    assert fresh_mock.request_count_for(JWKS) == 1


def test_verify_async_does_not_block_the_loop_while_a_fetch_hangs(
    fresh_mock: MockTeleport,
) -> None:
    v = verifier_for(fresh_mock, fetch_timeout=1.5)
    token = fresh_mock.mint()
    fresh_mock.set_failure("hang")

    async def run() -> tuple[int, float, BaseException | None]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        t = asyncio.create_task(ticker())
        start = time.monotonic()
        error: BaseException | None = None
        try:
            await v.verify_async(token)
        except tj.VerifyError as e:
            error = e
        elapsed = time.monotonic() - start
        stop.set()
        await t
        return ticks, elapsed, error

    try:
        ticks, elapsed, error = asyncio.run(run())
    finally:
        fresh_mock.set_failure(None)
    assert isinstance(error, tj.KeySourceUnavailable)
    assert elapsed >= 1.0
    # ~10 ms per tick: the loop kept running during the whole hang.
    assert ticks >= 0.5 * elapsed / 0.01, (ticks, elapsed)


def test_sync_verify_releases_the_gil_during_a_hanging_fetch(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock, fetch_timeout=1.0)
    fresh_mock.set_failure("hang")
    counter = 0
    done = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not done.is_set():
            counter += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        with pytest.raises(tj.KeySourceUnavailable):
            v.verify(fresh_mock.mint())
    finally:
        done.set()
        spinner.join()
        fresh_mock.set_failure(None)
    assert counter > 100_000


def test_37_finding_11_unknown_kid_flood_against_a_hanging_endpoint_async_and_sync(
    fresh_mock: MockTeleport,
) -> None:
    # Forged tokens with made-up kids while the key endpoint hangs: they wait for the one
    # budgeted refetch (at most the fetch timeout); good tokens, sync and async, are answered
    # while it still hangs. Asserted on order and counts, not on how long anything took.
    v = verifier_for(fresh_mock, fetch_timeout=3.0)
    v.warm_up()
    fresh_mock.set_failure("hang")
    forged = [fresh_mock.mint(headers={"kid": f"forged-{i}"}) for i in range(200)]
    good = [fresh_mock.mint(username=f"g{i}") for i in range(40)]

    async def run() -> tuple[list[BaseException | tj.Identity], bool]:
        flood = [asyncio.ensure_future(v.verify_async(t)) for t in forged]
        for _ in range(1000):  # until the flood's refetch reaches the hanging endpoint
            if fresh_mock.request_count_for(JWKS) == 2:
                break
            await asyncio.sleep(0.01)
        assert fresh_mock.request_count_for(JWKS) == 2, "the flood's refetch never started"
        for t in good[:20]:
            assert (await v.verify_async(t)).username.startswith("g")
        for t in good[20:]:
            assert v.verify(t).username.startswith("g")
        # Every good token was answered while the refetch the flood waits for still hangs.
        flood_waiting = not all(f.done() for f in flood)
        fresh_mock.set_failure(None)
        results = await asyncio.gather(*flood, return_exceptions=True)
        return results, flood_waiting

    try:
        results, flood_waiting = asyncio.run(run())
    finally:
        fresh_mock.set_failure(None)
    assert flood_waiting, "good tokens were answered only after the hanging refetch ended"
    refused = (tj.UnknownKey, tj.KeySourceUnavailable)
    assert all(isinstance(r, refused) for r in results), results[:3]
    # The warm-up and the budget's two refetches at most, however many forged kids arrived.
    assert fresh_mock.request_count_for(JWKS) <= 3
