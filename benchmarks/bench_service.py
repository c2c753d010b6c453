"""The chair service's control loop: lateness alone and with the service busy, side by side.

Run: .venv/bin/python benchmarks/bench_service.py [--seconds 4] [--rounds 2] [--subscribers 100]

Each round runs the quick program on the twin in real time (100 Hz) twice, in turn:
- alone: the service's loop with no subscriber and no storage;
- busy: the same, with ``--subscribers`` state subscribers on the asyncio loop (one of them
  stalled for the whole run, never reading), and storage writing the session to a SQLite file.
Lateness is how late each tick started (ms). The ratio busy p99 / alone p99 is the figure to
watch (target ≤ 1.2); the rounds alternate so both see the same machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_twin import machine
from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.clock import RealClock
from openchair.hardware.twin import TwinChair
from openchair.service import ChairService, ServiceOptions, build_service


def _service(busy: bool, data_dir: str) -> tuple[ChairService, TwinChair]:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    options = ServiceOptions(speed=1.0, store=busy, data_dir=data_dir)
    return build_service(options, driver=twin, clock=RealClock()), twin


async def _one(busy: bool, seconds: float, subscribers: int, data_dir: str) -> dict[str, float]:
    service, twin = _service(busy, data_dir)
    frames = [0]

    async def follow(sub_index: int) -> None:
        sub = service.subscribe()
        async for _ in sub:
            frames[0] += 1

    async with service:
        service.loop.lateness_s = []
        tasks = []
        stalled = None
        if busy:
            stalled = service.subscribe(maxlen=32)  # never read
            tasks = [asyncio.create_task(follow(i)) for i in range(subscribers - 1)]
        answer = await service.start("quick", 3, maps=twin.bodies.true_maps())
        assert answer.accepted, answer.reason
        cpu0 = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu0
        late = np.array(service.loop.lateness_s[50:]) * 1000.0  # past the start-up
        await service.stop()
        for t in tasks:
            t.cancel()
    return {
        "p50": float(np.percentile(late, 50)),
        "p99": float(np.percentile(late, 99)),
        "max": float(late.max()),
        "ticks": float(late.size),
        "frames": float(frames[0]),
        "dropped": float(stalled.dropped if stalled is not None else 0),
        "cpu": cpu / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=100)
    args = parser.parse_args()
    print(machine())
    results: dict[str, list[dict[str, float]]] = {"alone": [], "busy": []}
    with tempfile.TemporaryDirectory() as data_dir:
        for _ in range(args.rounds):
            for mode in ("alone", "busy"):
                r = asyncio.run(_one(mode == "busy", args.seconds, args.subscribers, data_dir))
                results[mode].append(r)
    print(
        f"\ncontrol loop lateness, 100 Hz, quick program on the twin, {args.rounds} × "
        f"{args.seconds:g} s each (median over rounds):"
    )
    print(
        f"{'':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'frames':>8} {'dropped':>8} {'CPU':>6}"
    )
    summary = {}
    for mode, rs in results.items():
        med = {k: float(np.median([r[k] for r in rs])) for k in rs[0]}
        summary[mode] = med
        print(
            f"{mode:>6} {med['p50']:>8.3f} {med['p99']:>8.3f} {med['max']:>8.2f} "
            f"{med['frames']:>8.0f} {med['dropped']:>8.0f} {med['cpu']:>5.0%}"
        )
    ratio = summary["busy"]["p99"] / max(summary["alone"]["p99"], 1e-6)
    print(
        f"\nbusy: {args.subscribers} subscribers (1 stalled), storage writing. "
        f"p99 busy / alone = {ratio:.2f} (target ≤ 1.2)"
    )


if __name__ == "__main__":
    main()
