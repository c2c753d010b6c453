"""Programs as one batch: the cost of a tick of every built-in program together, against each
program in a batch of its own, on the same scanned bodies.

Run: .venv/bin/python benchmarks/bench_mix.py [--bodies 10] [--ticks 500]

A tick is everything verification does per 10 ms step (setpoints, supervisor, twin, checks).
Times are CPU seconds of this process (``time.process_time``), so that other work on a shared
machine disturbs them less than wall time; the ratio is what to read.
"""

from __future__ import annotations

import argparse
import copy
import time

from openchair.programs import ProgramLibrary
from openchair.programs.model import Program
from openchair.verify.mix import MixedSession, repeat_twin
from openchair.verify.monitor import TickMonitor
from openchair.verify.rules import DEFAULT_CRITERIA
from openchair.verify.runner import ScannedChunk, population, scan_chunk


def ms_per_tick(programs: list[Program], chunk: ScannedChunk, ticks: int) -> float:
    """CPU milliseconds per tick of ``programs`` as one batch on ``chunk`` (after the scan)."""
    assert chunk.twin is not None and chunk.maps is not None
    twin = repeat_twin(chunk.twin, len(programs))
    session = MixedSession(programs, chunk.maps, twin, start_s=chunk.start_s)
    monitor = TickMonitor(chunk.twin.bodies, session.mix, twin.description, DEFAULT_CRITERIA)
    t0 = time.process_time()
    for k in range(ticks):
        t = session.start_s + k * session.tick_s
        session.tick(t, 0.0)
        assert session.last_setpoints is not None
        steps = session.mix.steps_at(session.program_tick - 1)
        monitor.observe(session.last_setpoints, twin.peek_truth(), session.state, steps, t)
    return (time.process_time() - t0) / ticks * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=10)
    parser.add_argument("--ticks", type=int, default=500)
    args = parser.parse_args()
    library = ProgramLibrary(user_dir=None)
    programs = [library.get(p) for p in library.builtin_ids()]
    chunk = scan_chunk(population(args.bodies, 0), list(range(args.bodies)))
    ms_per_tick(programs[:1], copy.copy(chunk), 20)  # warm up (imports, caches)
    apart = [ms_per_tick([p], chunk, args.ticks) for p in programs]
    together = ms_per_tick(programs, chunk, args.ticks)
    print(f"{len(programs)} programs on {args.bodies} bodies, {args.ticks} ticks, CPU ms per tick:")
    for p, ms in zip(programs, apart, strict=True):
        print(f"  {p.id:<14} alone       {ms:7.3f}")
    print(f"  {'all programs':<14} apart (sum) {sum(apart):7.3f}")
    print(f"  {'all programs':<14} one batch   {together:7.3f}")
    print(f"one batch costs {sum(apart) / together:.1f}x less per tick than a batch per program")


if __name__ == "__main__":
    main()
