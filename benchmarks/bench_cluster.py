"""Verification on a Dask cluster: in-process against a local cluster, the per-chunk cost, and
the sizing of a 100,000-body run from it.

Run: .venv/bin/python benchmarks/bench_cluster.py [--bodies 4] [--chunk 1000] [--workers 2]

1. A small run (two 45-second programs on ``--bodies`` bodies) three ways: in this process, in
   the runner's process pool of ``--workers`` processes, and on a local Dask cluster of
   ``--workers`` worker processes (its start-up timed apart). The three fingerprints must be
   identical; the bench fails if they are not.
2. The per-chunk cost on one worker: a chunk of ``--chunk`` bodies scanned, then a 60-second
   program on it, timed in this process (a worker runs the same code on the same data), as
   chair-ticks per CPU second (a worker has a core of its own; the wall time of this shared
   machine would measure its other users); and the size of the scanned chunk a program job is
   sent.
3. From that rate: the estimated wall time of the whole built-in library over 100,000 bodies for
   a number of worker processes (jobs placed longest first on the least loaded worker, scans
   first, as the scheduler does; no allowance for moving data or for a slower machine).
"""

from __future__ import annotations

import argparse
import heapq
import os
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_twin import machine
from openchair.control.loop import TICK_S
from openchair.programs import ProgramLibrary, parse_program
from openchair.programs.model import Program
from openchair.verify import fingerprint as fpr
from openchair.verify.cluster import ClusterSpec, connect, verify_on_cluster
from openchair.verify.result import VerifyResult
from openchair.verify.runner import (
    CHUNK_BODIES_MAX,
    SCAN_TICKS_ESTIMATE,
    population,
    run_program_chunk,
    scan_chunk,
    verify,
)

SIZING_BODIES = 100_000
SIZING_WORKERS = (1, 2, 8, 16, 32, 64, 128, 256)


def short_program(pid: str, seconds: int, technique: str, zone: str) -> Program:
    """A roll down the back, then one technique with heat and air: every layer at work."""
    return parse_program(
        f"""
id = "{pid}"
name = "{pid}"
description = "A short program for the benchmark."
minutes = {(15 + seconds) / 60}

[[step]]
seconds = 15
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3

[[step]]
seconds = {seconds}
technique = "{technique}"
zone = "{zone}"
depth = 0.8
heat = {{ back = 40 }}
air = {{ zones = ["waist"], level = 3, rhythm = "breathing" }}
""",
        f"{pid}.toml",
    )


def small_run(bodies: int, workers: int) -> None:
    programs = [
        short_program("bench-knead", 30, "knead", "lumbar"),
        short_program("bench-shiatsu", 30, "shiatsu", "full-back"),
    ]
    runs: dict[str, tuple[float, VerifyResult]] = {}
    t0 = time.perf_counter()
    alone = verify(programs, bodies, workers=1)
    runs["in this process"] = (time.perf_counter() - t0, alone)
    t0 = time.perf_counter()
    pool = verify(programs, bodies, workers=workers)
    runs[f"process pool, {workers} processes"] = (time.perf_counter() - t0, pool)
    t0 = time.perf_counter()
    with connect(ClusterSpec(local_workers=workers)) as client:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        on_cluster = verify_on_cluster(programs, bodies, client)
        runs[f"local Dask cluster, {workers} workers"] = (time.perf_counter() - t1, on_cluster)
    print(f"\n1. two 45-second programs on {bodies} bodies (wall time, this machine's load):")
    reference = fpr.fingerprint(runs["in this process"][1])
    for name, (wall, result) in runs.items():
        same = not fpr.compare(reference, fpr.fingerprint(result), 0.0)
        print(f"   {name:<34} {wall:6.1f} s   fingerprint {'identical' if same else 'DIFFERS'}")
        if not same:
            raise SystemExit(f"{name}: the result differs from the in-process run")
    print(f"   (the local cluster's start-up, not counted above: {started:.1f} s)")


def chunk_cost(n: int) -> tuple[float, float, int]:
    """Chair-ticks per CPU second of a scan and of a program on a chunk of ``n`` bodies, and
    the pickled size of the scanned chunk in bytes. CPU seconds of this process, not wall
    seconds: on a shared machine the wall time says more about the neighbours than about the
    work, and a worker has a core of its own."""
    people = population(n, 0)
    t0 = time.process_time()
    chunk = scan_chunk(people, list(range(n)))
    scan_s = time.process_time() - t0
    scan_ticks = round(chunk.start_s / TICK_S) * n
    size = len(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
    program = short_program("bench-chunk", 45, "knead", "full-back")
    t0 = time.process_time()
    result = run_program_chunk(program, chunk)
    program_s = time.process_time() - t0
    return scan_ticks / scan_s, result.chair_ticks / program_s, size


def sizing(scan_rate: float, program_rate: float, library: list[Program]) -> None:
    chunks = SIZING_BODIES // CHUNK_BODIES_MAX
    scan_s = SCAN_TICKS_ESTIMATE * CHUNK_BODIES_MAX / scan_rate
    job_s = sorted(
        (
            (round(p.total_seconds() / TICK_S) + 1) * CHUNK_BODIES_MAX / program_rate
            for p in library
            for _ in range(chunks)
        ),
        reverse=True,
    )
    total_cpu_s = chunks * scan_s + sum(job_s)
    print(
        f"\n3. the built-in library ({len(library)} programs, "
        f"{sum(p.total_seconds() for p in library) / 60:.0f} simulated minutes a body) over "
        f"{SIZING_BODIES:,} bodies: {chunks} chunks of {CHUNK_BODIES_MAX:,}, "
        f"{len(job_s)} program jobs, {total_cpu_s / 3600:.1f} worker-hours"
    )
    print("   workers   estimated wall time")
    for w in SIZING_WORKERS:
        # Scans first (every program job waits for its chunk's), then the longest job first
        # on the worker that is free first.
        free = [0.0] * w
        for _ in range(chunks):
            heapq.heapreplace(free, free[0] + scan_s)
        for s in job_s:
            heapq.heapreplace(free, free[0] + s)
        wall = max(free)
        print(f"   {w:7d}   {wall / 3600:5.2f} h ({wall / 60:6.0f} min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=4, help="0 skips the small run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=CHUNK_BODIES_MAX)
    args = parser.parse_args()
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    if args.bodies:
        small_run(args.bodies, args.workers)
    scan_rate, program_rate, size = chunk_cost(args.chunk)
    print(f"\n2. one worker, a chunk of {args.chunk:,} bodies (per CPU second):")
    print(f"   scan      {scan_rate:12,.0f} chair-ticks/s")
    print(f"   program   {program_rate:12,.0f} chair-ticks/s")
    print(f"   a scanned chunk sent to a program job: {size / 1e6:.1f} MB pickled")
    if args.chunk != CHUNK_BODIES_MAX:
        print(f"   (measured at {args.chunk} bodies: the sizing below takes that rate as is)")
    library = ProgramLibrary(user_dir=None)
    sizing(scan_rate, program_rate, [library.get(p) for p in library.builtin_ids()])


if __name__ == "__main__":
    main()
