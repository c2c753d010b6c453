"""The safety supervisor alone: per-tick cost for one chair and per chair-tick for 1,000 chairs.

Run: .venv/bin/python benchmarks/bench_supervisor.py [--program heated-back] [--repeats 5]
     [--compare-with /work/main]

It records real frames (the program's setpoints, the twin's readings, the loop's lateness) from a
short session of each batch size (N = 1 for ``--ticks-one`` ticks, N = 1000 for ``--ticks-many``),
then replays them through ``SafetySupervisor.filter`` on a fresh supervisor and prints the median
time per tick. The replay also prints a digest of every output frame and every event, bit for bit:
two implementations of the supervisor that print the same digest gave the same frames and events.

``--compare-with DIR`` replays the same recorded frames with another checkout's code (its own
``DIR/.venv``, read-only), alternating with this one in the same sitting, and prints the ratio.
``--replay FILE`` (used by that) only replays a recording and prints one JSON line.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from openchair.body.bodymap import BodyMapBatch
from openchair.control.session import Session
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.twin import TwinFault
from openchair.programs import ProgramLibrary
from openchair.safety.supervisor import SafetySupervisor
from openchair.verify.runner import population, scan_chunk


@dataclass
class Recording:
    """Everything a fresh supervisor needs to see the session's ticks again."""

    description: ChairDescription
    maps: BodyMapBatch
    start_s: float
    frames: list[tuple[Commands, Readings, float, float]]
    """Per tick: setpoints, readings, time, lateness."""


def record(n: int, program_id: str, ticks: int, faults: bool = False) -> Recording:
    """Run ``ticks`` ticks of a program on ``n`` scanned bodies, keeping what the supervisor saw.

    ``faults``: chair ``k`` (from 1) gets the twin's ``k``-th fault after 10 s, so that the
    recording makes every family of rules act (``n`` must be at least one more than the faults).
    """
    program = ProgramLibrary(user_dir=None).get(program_id)
    chunk = scan_chunk(population(n, 0), list(range(n)))
    assert chunk.twin is not None and chunk.maps is not None
    twin = chunk.twin
    session = Session(program, chunk.maps, chunk.twin, start_s=chunk.start_s)
    sup = session.driver.supervisor
    frames: list[tuple[Commands, Readings, float, float]] = []
    late = [0.0]
    original_filter = sup.filter
    original_late = sup.note_tick_lateness

    def note(late_s: float) -> None:
        late[0] = late_s
        original_late(late_s)

    def spy(setpoints: Commands, readings: Readings, now_s: float) -> Commands:
        frames.append((copy.deepcopy(setpoints), copy.deepcopy(readings), now_s, late[0]))
        return original_filter(setpoints, readings, now_s)

    sup.filter = spy  # type: ignore[method-assign]
    sup.note_tick_lateness = note  # type: ignore[method-assign]
    for k in range(ticks):
        if faults and k == round(10.0 / session.tick_s):
            for chair, fault in enumerate(TwinFault, start=1):
                twin.inject(fault, chairs=chair)
        session.tick(session.start_s + k * session.tick_s, 0.0)
    return Recording(session.description, chunk.maps, session.start_s, frames)


def replay(rec: Recording, repeats: int) -> dict[str, Any]:
    """Median seconds per tick over ``repeats`` replays, and the digest of the last one."""
    times = []
    digest = ""
    for _ in range(repeats):
        sup = SafetySupervisor(rec.description, rec.maps, session_start_s=rec.start_s)
        outs = []
        t0 = time.perf_counter()
        for setpoints, readings, now_s, late_s in rec.frames:
            sup.note_tick_lateness(late_s)
            outs.append(sup.filter(setpoints, readings, now_s))
        times.append((time.perf_counter() - t0) / len(rec.frames))
        h = hashlib.sha256()
        for out in outs:
            for f in fields(out):
                a = np.ascontiguousarray(getattr(out, f.name))
                h.update(f.name.encode())
                h.update(str(a.dtype).encode())
                h.update(a.tobytes())
        for e in sup.events:
            h.update(repr((e.time_s, e.chair, e.rule, e.value, e.limit, e.reaction)).encode())
        h.update(repr(sup.latched_rule).encode())
        digest = h.hexdigest()[:16]
        events = len(sup.events)
    return {"s_per_tick": statistics.median(times), "digest": digest, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--program", default="heated-back")
    parser.add_argument("--ticks-one", type=int, default=2000)
    parser.add_argument("--ticks-many", type=int, default=150)
    parser.add_argument(
        "--ticks-faults", type=int, default=3000, help="a batch with every twin fault (0: none)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="alternations with --compare-with")
    parser.add_argument("--compare-with", type=Path, default=None)
    parser.add_argument("--replay", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        with args.replay.open("rb") as f:
            rec = pickle.load(f)
        print(json.dumps(replay(rec, args.repeats)))
        return
    other_python = None
    if args.compare_with:
        other_python = args.compare_with / ".venv" / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(1, args.ticks_one, False), (1000, args.ticks_many, False)]
        if args.ticks_faults:
            cases.append((len(TwinFault) + 1, args.ticks_faults, True))
        for n, ticks, faults in cases:
            path = Path(tmp) / f"frames-{n}.pkl"
            rec = record(n, args.program, ticks, faults)
            with path.open("wb") as f:
                pickle.dump(rec, f)
            # Warm both (compiled kernels load from the cache; a first replay touches memory).
            replay(rec, 1)
            ours: list[float] = []
            theirs: list[float] = []
            mine: dict[str, Any] = {}
            other: dict[str, Any] = {}
            for _ in range(args.rounds if other_python else 1):
                mine = json.loads(_run(sys.executable, path, args.repeats))
                ours.append(mine["s_per_tick"])
                if other_python:
                    other = json.loads(_run(str(other_python), path, args.repeats))
                    theirs.append(other["s_per_tick"])
            a = statistics.median(ours)
            line = (
                f"N={n:>5}, {args.program}{', faults' if faults else ''}, "
                f"{len(rec.frames)} ticks: "
                f"{a * 1e6:8.1f} µs per tick, {a * 1e6 / n:7.3f} µs per chair-tick, "
                f"{mine['events']} events, digest {mine['digest']}"
            )
            print(line)
            if other_python:
                b = statistics.median(theirs)
                same = "same" if other["digest"] == mine["digest"] else "DIFFERENT"
                print(
                    f"  {args.compare_with}: {b * 1e6:8.1f} µs per tick, "
                    f"{b * 1e6 / n:7.3f} µs per chair-tick, digest {other['digest']} ({same}); "
                    f"this tree is {b / a:.2f}× as fast"
                )


def _run(python: str, path: Path, repeats: int) -> str:
    """Replay in a fresh process of ``python`` (this tree's or another checkout's code)."""
    script = str(Path(__file__).resolve())
    cmd = [python, script, "--replay", str(path), "--repeats", str(repeats)]
    # Another checkout is only read: no bytecode written into it.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"} if python != sys.executable else None
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.strip()


if __name__ == "__main__":
    main()
