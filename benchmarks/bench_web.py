"""The web API under 50 WebSocket clients following the state while a program runs.

Run: .venv/bin/python benchmarks/bench_web.py [--seconds 10] [--clients 50]

One service (twin, real time, 100 Hz) with its web server, the quick program running. First
``--seconds`` with no client connected, then ``--seconds`` with ``--clients`` WebSocket clients
(in a separate process, as phones would be) following the state. Reported: the control loop's
lateness p99 in each phase and their ratio (one run), and the state's delay to the clients
(from the tick that made a frame to a client receiving it) p50/p99. Default 2 × 10 s; use
``--seconds 60`` for a minute per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
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
from openchair.service import ServiceOptions, build_service
from openchair.web.server import WebServer


def _clients(url: str, token: str, n: int, seconds: float, t0: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """A separate process: ``n`` WebSocket clients; each frame's delay in ms."""
    import websockets

    async def one(delays: list[float], counts: list[int]) -> None:
        async with websockets.connect(url, max_queue=None) as ws:
            await ws.send(json.dumps({"token": token}))
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    text = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                now = time.monotonic()
                frame = json.loads(text)
                delays.append((now - (t0 + frame["chair_time_s"])) * 1000.0)
                counts[0] += 1

    async def main() -> None:
        delays: list[float] = []
        counts = [0]
        await asyncio.gather(*(one(delays, counts) for _ in range(n)))
        out.put((delays, counts[0]))

    asyncio.run(main())


async def _run(seconds: float, clients: int, data_dir: str) -> dict[str, float]:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    service = build_service(
        ServiceOptions(speed=1.0, store=False, data_dir=data_dir), driver=twin, clock=RealClock()
    )
    web = WebServer(
        service, host="127.0.0.1", port=0, show_code=lambda n, c: None, data_dir=data_dir
    )
    async with service:
        await web.start()
        token, _ = web.app.state.ctx.devices.issue("bench")
        # where chair time 0 is on this machine's monotonic clock: the smallest offset seen by
        # an in-process subscriber (published within the tick that made the frame)
        sub = service.subscribe()
        offsets = []
        for _ in range(40):
            frame = await sub.next()
            offsets.append(time.monotonic() - frame.chair_time_s)
        sub.close()
        t0 = min(offsets)
        if service.snapshot() is not None and service.snapshot().latched:  # type: ignore[union-attr]
            await service.reset()  # a busy machine can trip the twin's watchdog at start-up
        answer = await service.start("quick", 3, maps=twin.bodies.true_maps())
        assert answer.accepted, answer.reason
        await asyncio.sleep(1.0)  # past the start-up

        service.loop.lateness_s = []
        cpu0 = time.process_time()
        await asyncio.sleep(seconds)
        alone_cpu = (time.process_time() - cpu0) / seconds
        alone = np.array(service.loop.lateness_s) * 1000.0

        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        url = f"ws://127.0.0.1:{web.port}/api/ws"
        proc = ctx.Process(target=_clients, args=(url, token, clients, seconds + 2.0, t0, out))
        proc.start()
        await asyncio.sleep(2.0)  # clients start and connect
        service.loop.lateness_s = []
        cpu0 = time.process_time()
        await asyncio.sleep(seconds)
        busy_cpu = (time.process_time() - cpu0) / seconds
        busy = np.array(service.loop.lateness_s) * 1000.0
        delays, frames = await asyncio.to_thread(out.get, True, 60.0)
        await asyncio.to_thread(proc.join, 10.0)
        await service.stop()
        await web.stop()
    d = np.array(delays)
    d = d[len(d) // 20 :]  # past the connecting
    return {
        "alone_p50": float(np.percentile(alone, 50)),
        "alone_p99": float(np.percentile(alone, 99)),
        "busy_p50": float(np.percentile(busy, 50)),
        "busy_p99": float(np.percentile(busy, 99)),
        "delay_p50": float(np.percentile(d, 50)),
        "delay_p99": float(np.percentile(d, 99)),
        "frames": float(frames),
        "alone_cpu": alone_cpu,
        "busy_cpu": busy_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--switch-ms",
        type=float,
        default=None,
        help="Python's thread switch interval for the server (default: Python's 5 ms).",
    )
    args = parser.parse_args()
    if args.switch_ms is not None:
        sys.setswitchinterval(args.switch_ms / 1000.0)
    print(machine())
    with tempfile.TemporaryDirectory() as data_dir:
        r = asyncio.run(_run(args.seconds, args.clients, data_dir))
    per_client = r["frames"] / args.clients / (args.seconds + 2.0)
    print(f"\nquick program on the twin, real time 100 Hz; {args.seconds:g} s per phase")
    print(f"{'':>22} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>11}")
    print(
        f"{'loop lateness, alone':>22} {r['alone_p50']:>8.3f} {r['alone_p99']:>8.3f} "
        f"{r['alone_cpu']:>10.0%}"
    )
    print(
        f"{f'with {args.clients} clients':>22} {r['busy_p50']:>8.3f} {r['busy_p99']:>8.3f} "
        f"{r['busy_cpu']:>10.0%}"
    )
    print(f"{'state delay to client':>22} {r['delay_p50']:>8.2f} {r['delay_p99']:>8.2f}")
    ratio = r["busy_p99"] / max(r["alone_p99"], 1e-6)
    print(
        f"\nlateness p99 with clients / alone = {ratio:.2f}; {per_client:.1f} frames/s per client"
    )


if __name__ == "__main__":
    main()
