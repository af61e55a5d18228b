#!/usr/bin/python3
"""The asyncio side of the runtime benchmark (bench/runtime/run.sh): the same work as
bench_runtime.c, with asyncio tasks on the default event loop.

Usage: peer_asyncio.py MODE [N]   prints one number on stdout
  yield    two tasks calling asyncio.sleep(0) in turn: ns per yield
  yieldt   the same with a third task asleep meanwhile
  chan     two tasks ping-ponging over two asyncio.Queue: ns per hop
  spawn    create a task that returns at once, then await it: ns per task
  gather   create 1000 such tasks, then gather them: ns per task
  rss N    N tasks asleep at once: KiB of VmRSS per task

Timed modes stop after about BENCH_SECONDS of wall time (default 0.2).
"""
import asyncio
import os
import sys
import time

CHUNK = 256
BATCH = 1000
SLEEP_S = 60.0


def budget_ns():
    try:
        s = float(os.environ.get("BENCH_SECONDS", ""))
    except ValueError:
        s = 0.0
    return int((s if s > 0 else 0.2) * 1e9)


async def yield_rounds(budget):
    stop = False

    async def peer():
        while not stop:
            await asyncio.sleep(0)

    t = asyncio.create_task(peer())
    await asyncio.sleep(0)
    yields, t0 = 0, time.monotonic_ns()
    while time.monotonic_ns() - t0 < budget:
        for _ in range(CHUNK):
            await asyncio.sleep(0)
        yields += CHUNK
    ns = (time.monotonic_ns() - t0) / (2 * yields)  # the peer yielded as often
    stop = True
    await t
    return ns


async def yield_with_sleeper(budget):
    sleepy = asyncio.create_task(asyncio.sleep(SLEEP_S))
    await asyncio.sleep(0)
    ns = await yield_rounds(budget)
    sleepy.cancel()
    await asyncio.gather(sleepy, return_exceptions=True)
    return ns


async def chan_rounds(budget):
    ping, pong = asyncio.Queue(), asyncio.Queue()

    async def peer():
        while (v := await ping.get()) is not None:
            await pong.put(v)

    t = asyncio.create_task(peer())
    rounds, t0 = 0, time.monotonic_ns()
    while time.monotonic_ns() - t0 < budget:
        for i in range(CHUNK):
            await ping.put(i)
            await pong.get()
        rounds += CHUNK
    ns = (time.monotonic_ns() - t0) / (2 * rounds)
    await ping.put(None)
    await t
    return ns


async def nothing():
    return 0


async def spawn_join(budget):
    n, t0 = 0, time.monotonic_ns()
    while time.monotonic_ns() - t0 < budget:
        for _ in range(CHUNK):
            await asyncio.create_task(nothing())
        n += CHUNK
    return (time.monotonic_ns() - t0) / n


async def gather(budget):
    n, t0 = 0, time.monotonic_ns()
    while time.monotonic_ns() - t0 < budget:
        await asyncio.gather(*[asyncio.create_task(nothing()) for _ in range(BATCH)])
        n += BATCH
    return (time.monotonic_ns() - t0) / n


def vm_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    return -1.0


async def rss(n):
    started = 0

    async def sleeper():
        nonlocal started
        started += 1
        await asyncio.sleep(SLEEP_S)

    # The list of handles is the caller's memory, not the tasks': allocated before the
    # baseline, as the other implementations do.
    tasks = [None] * n
    base = vm_rss_kib()
    for i in range(n):
        tasks[i] = asyncio.create_task(sleeper())
    while started < n:
        await asyncio.sleep(0)
    kib = (vm_rss_kib() - base) / n
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return kib


def main():
    modes = {
        "yield": yield_rounds,
        "yieldt": yield_with_sleeper,
        "chan": chan_rounds,
        "spawn": spawn_join,
        "gather": gather,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in modes and sys.argv[1] != "rss":
        print("usage: peer_asyncio.py yield|yieldt|chan|spawn|gather|rss [N]", file=sys.stderr)
        return 2
    if sys.argv[1] == "rss":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
        value = asyncio.run(rss(n))
    else:
        value = asyncio.run(modes[sys.argv[1]](budget_ns()))
    print(f"{value:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
