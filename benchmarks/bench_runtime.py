"""Runtime figures: simulated speed per program, real-time jitter and CPU, stop-to-safe latency.

Run: .venv/bin/python benchmarks/bench_runtime.py [--seconds 60] [--realtime-seconds 5]

- Simulated seconds per wall second for one chair running each built-in program (the first
  ``--seconds`` of it, and the time a whole program would take at that pace).
- Real-time loop at 100 Hz on the twin for ``--realtime-seconds``: lateness p50/p99 and the CPU
  used as a share of one core.
- Stop-to-safe latency: ticks (and ms) from a stop command or stop button to the first safe frame.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_twin import machine
from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control import LiveCommand, RealClock, Session, SimulatedClock, run_session
from openchair.hardware.recording import RecordingDriver
from openchair.hardware.twin import TwinChair
from openchair.programs import ProgramLibrary


def new_session(program_id: str) -> tuple[Session, TwinChair]:
    bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    twin = TwinChair(bodies)
    program = ProgramLibrary(user_dir=None).get(program_id)
    return Session(program, bodies.true_maps(), twin), twin


def simulated_speed(seconds: float) -> None:
    print(f"\nsimulated speed, one chair, first {seconds:g} s of each program:")
    print(f"{'program':>14} {'sim s / wall s':>15} {'whole program (est.)':>22}")
    for pid in ProgramLibrary(user_dir=None).builtin_ids():
        session, _ = new_session(pid)
        t0 = time.perf_counter()
        run_session(session, SimulatedClock(), max_ticks=round(seconds / 0.01))
        wall = time.perf_counter() - t0
        ratio = seconds / wall
        print(f"{pid:>14} {ratio:>15.1f} {session.compiled.duration_s / ratio:>20.1f} s")


def realtime(seconds: float) -> None:
    session, _ = new_session("quick")
    clock = RealClock()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run_session(session, clock, max_ticks=round(seconds / 0.01))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    late = np.array(clock.lateness_s) * 1000
    print(f"\nreal-time loop, 100 Hz, {seconds:g} s of the quick program on the twin:")
    print(
        f"  lateness p50 {np.percentile(late, 50):.3f} ms, p99 {np.percentile(late, 99):.3f} ms, "
        f"max {late.max():.3f} ms"
    )
    print(
        f"  CPU {100 * cpu / wall:.1f} % of one core (includes the polling of the last ms "
        "before each tick)"
    )


def stop_latency() -> None:
    latencies = {"stop command": [], "stop button": []}  # type: dict[str, list[int]]
    for trial in range(20):
        for kind in latencies:
            bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
            twin = TwinChair(bodies)
            spy = RecordingDriver(twin)
            session = Session(
                ProgramLibrary(user_dir=None).get("deep-tissue"), bodies.true_maps(), spy
            )
            for _ in range(500 + 37 * trial):
                session.tick(session.ticks * 0.01)
            start = len(spy.frames)
            if kind == "stop command":
                session.command(LiveCommand("stop"))
            else:
                twin.press_stop_button()
            for _ in range(5):
                session.tick(session.ticks * 0.01)
            safe = next(
                k
                for k, f in enumerate(spy.frames[start:])
                if f.depth_target_mm[0] == 0 and f.knead_speed_cpm[0] == 0
            )
            latencies[kind].append(safe)
    print("\nstop-to-safe latency (frames after the stop that were not yet safe; 0 = the next):")
    for kind, values in latencies.items():
        print(
            f"  {kind}: median {statistics.median(values)} ticks, max {max(values)} ticks "
            f"(= {10 * max(values)} ms at 100 Hz)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--realtime-seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    simulated_speed(args.seconds)
    realtime(args.realtime_seconds)
    stop_latency()


if __name__ == "__main__":
    main()
