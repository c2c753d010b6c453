"""Verification speed: chair-ticks per second for N = 1, 100, 1000, and the full library.

Run: .venv/bin/python benchmarks/bench_verify.py [--ticks 300] [--repeats 3] [--library-bodies 1000]

One chair-tick is one 10 ms control step of one chair through every layer: the program's
setpoints, the safety supervisor, the twin's physics and sensing, and the verifier's checks on
the twin's truth. The first part times ``--ticks`` steps of the Deep Tissue program (after the
scan) for each N in one process and prints the median of ``--repeats`` runs. The second part runs
``openchair verify`` on the whole built-in library over ``--library-bodies`` bodies with every
core (``--library-bodies 0`` skips it) and prints its wall time against the 2-minute target.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_twin import machine
from openchair.control.session import Session
from openchair.programs import ProgramLibrary
from openchair.verify.monitor import TickMonitor
from openchair.verify.rules import DEFAULT_CRITERIA
from openchair.verify.runner import default_workers, population, scan_chunk, verify

TARGET_S = 120.0


def chair_ticks_per_s(n: int, ticks: int, repeats: int) -> tuple[float, float]:
    program = ProgramLibrary(user_dir=None).get("deep-tissue")
    chunk = scan_chunk(population(n, 0), list(range(n)))
    assert chunk.twin is not None and chunk.maps is not None
    rates = []
    for _ in range(repeats):
        twin = copy.deepcopy(chunk.twin)
        session = Session(program, chunk.maps, twin, start_s=chunk.start_s)
        monitor = TickMonitor(twin.bodies, session.compiled, twin.description, DEFAULT_CRITERIA)
        t0 = time.perf_counter()
        for k in range(ticks):
            t = session.start_s + k * session.tick_s
            session.tick(t, 0.0)
            assert session.last_setpoints is not None
            step = session.compiled.step_at(session.program_tick - 1)
            monitor.observe(session.last_setpoints, twin.peek_truth(), session.state, step, t)
        rates.append(n * ticks / (time.perf_counter() - t0))
    return statistics.median(rates), min(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--library-bodies", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"\none process, Deep Tissue, {args.ticks} ticks, median of {args.repeats}:")
    print(f"{'N':>6} {'chair-ticks/s':>15} {'ms per tick':>12}")
    base = None
    for n in (1, 100, 1000):
        rate, _ = chair_ticks_per_s(n, args.ticks, args.repeats)
        base = base or rate
        print(f"{n:>6} {rate:>15,.0f} {1000 * n / rate:>12.3f}   ({rate / base:.0f}× N=1)")
    if args.library_bodies:
        library = ProgramLibrary(user_dir=None)
        programs = [library.get(p) for p in library.builtin_ids()]
        minutes = sum(p.minutes for p in programs)
        workers = default_workers()
        print(
            f"\nfull library ({len(programs)} programs, {minutes:g} simulated minutes per body) "
            f"over {args.library_bodies} bodies, {workers} worker(s):"
        )
        result = verify(programs, args.library_bodies, workers=workers)
        rate = result.chair_ticks / result.wall_s
        print(
            f"  wall {result.wall_s:.1f} s, {result.chair_ticks:,} chair-ticks, "
            f"{rate:,.0f} chair-ticks/s; all passed: {result.ok}"
        )
        print(
            f"  target {TARGET_S:.0f} s (about 5,000,000 chair-ticks/s): "
            f"{result.wall_s / TARGET_S:.1f}× the target time"
        )


if __name__ == "__main__":
    main()
