"""One chair: a whole simulated `openchair run` and the control tick's cost, side by side with
another checkout of openchair (by default main's, in /work/main with its own .venv).

Run: .venv/bin/python benchmarks/bench_run.py [--programs quick] [--all] [--rounds 1]
     [--other /work/main] [--tick-seconds 60]

For every program and round, each side in turn (the other side first, so both see the same
machine load):
- run: the wall time of ``openchair run PROGRAM --json`` as a person types it (a new process:
  interpreter, imports, storage, the scan and the whole session on the twin), end to end;
- tick: in a fresh process, the chair service alone (no storage, no subscriber, no CLI hook) on
  a simulated clock runs the program for ``--tick-seconds`` of chair time with the twin's true
  body map; every control tick of the loop (requests, session, supervisor, twin, frames) is
  timed. Median and p99 in µs; "svc" is the median of the service's own part (the tick less
  the session's tick: requests, events, frames, storage notes).
- (fixed cost): ``openchair run`` of a one-second program without a scan, end to end: what every
  run costs beyond its ticks (interpreter, imports, opening storage, compiling, closing).
The figures are medians over rounds; ratios are other / this (above 1: this side is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THIS_ROOT = HERE.parent
PROGRAMS = (
    "quick",
    "lumbar",
    "heated-back",
    "deep-tissue",
    "mindfulness",
    "stretch",
    "after-office",
)


def _child_tick(program: str, seconds: float) -> dict[str, float]:
    """In the child process: time every loop tick of ``seconds`` of a session (µs)."""
    import asyncio

    import numpy as np

    from openchair.body.batch import BodyBatch
    from openchair.body.model import BodyParams
    from openchair.control.clock import SimulatedClock
    from openchair.hardware.twin import TwinChair
    from openchair.service import ServiceOptions, build_service
    from openchair.service.loop import ChairLoop

    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]), seeds=[0])
    service = build_service(
        ServiceOptions(speed=None, store=False), driver=twin, clock=SimulatedClock()
    )
    loop = service.loop
    times: list[int] = []
    inner = ChairLoop._tick
    clock_ns = time.perf_counter_ns
    ticks_wanted = round(seconds / loop.tick_s)

    from openchair.service.activities import SessionActivity

    inner_act = SessionActivity.tick
    act_times: list[int] = []

    def timed_act(self: SessionActivity, t: float, late: float) -> bool:
        t0 = clock_ns()
        alive = inner_act(self, t, late)
        act_times.append(clock_ns() - t0)
        return alive

    SessionActivity.tick = timed_act  # type: ignore[method-assign,assignment]

    def timed(self: ChairLoop, t: float, late: float) -> None:
        act_times.append(0)  # a tick without a session's tick has none
        t0 = clock_ns()
        inner(self, t, late)
        times.append(clock_ns() - t0)
        if len(act_times) > len(times):  # the session ticked: keep its time, not the 0
            session_ns = act_times.pop()
            act_times[-1] = session_ns
        if len(times) == ticks_wanted:
            self.supervisor.stop(now_s=t)  # ends the session: enough ticks measured

    loop._tick = timed.__get__(loop)  # type: ignore[method-assign]

    async def scenario() -> None:
        async with service:
            answer = await service.start(program, 3, maps=twin.bodies.true_maps())
            assert answer.accepted, answer.reason
            await service.wait_until_idle()

    wall0 = time.perf_counter()
    asyncio.run(scenario())
    wall = time.perf_counter() - wall0
    us = np.array(times[:ticks_wanted], dtype=float) / 1000.0
    session_us = np.array(act_times[:ticks_wanted], dtype=float) / 1000.0
    return {
        "service_median_us": float(np.median(us - session_us)),
        "ticks": float(us.size),
        "median_us": float(np.median(us)),
        "p99_us": float(np.percentile(us, 99)),
        "mean_us": float(us.mean()),
        "wall_s": wall,
    }


FIXED_PROGRAM = """name = "One second"
description = "the fixed cost of a run: process, imports, storage, compilation"
minutes = 0.0166667

[[step]]
seconds = 1
technique = "knead"
zone = "lumbar"
"""
FIXED = "(fixed cost)"
"""The row for a one-second program without a scan: what a run costs beyond its ticks."""


def _env(data_dir: str) -> dict[str, str]:
    """Bytecode cached as an installed openchair has it, in the benchmark's own folder (never
    in a checkout's tree), whatever PYTHONDONTWRITEBYTECODE says here."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["OPENCHAIR_DATA_DIR"] = data_dir
    env["PYTHONPYCACHEPREFIX"] = str(Path(data_dir) / "pycache")
    return env


def _run_cli(root: Path, program: str, data_dir: str) -> tuple[float, float, str]:
    """Wall and CPU time of ``openchair run PROGRAM --json`` from ``root``'s .venv; its
    outcome. The CPU time (every thread of the process) is the steadier figure on a busy
    machine."""
    exe = root / ".venv" / "bin" / "openchair"
    env = _env(data_dir)
    argv = [str(exe), "run", program, "--json"]
    if program == FIXED:
        path = Path(data_dir).parent / "one-second.toml"
        path.write_text(FIXED_PROGRAM)
        argv = [str(exe), "run", str(path), "--no-scan", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{exe} run {program}: exit {done.returncode}\n{done.stderr[-2000:]}")
    outcome = json.loads(done.stdout)["chairs"][0]["outcome"]
    return wall, cpu, str(outcome)


def _tick_in(root: Path, program: str, seconds: float, data_dir: str) -> dict[str, float]:
    python = root / ".venv" / "bin" / "python"
    done = subprocess.run(
        [
            str(python),
            str(Path(__file__).resolve()),
            "--child",
            program,
            "--tick-seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(root),
        env=_env(data_dir),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{python}: tick measurement failed\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--programs", nargs="+", default=["quick"], choices=PROGRAMS)
    parser.add_argument("--all", action="store_true", help="every built-in program")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--other",
        type=Path,
        default=Path("/work/main"),
        help="the checkout to compare with (its own .venv); '' for none",
    )
    parser.add_argument(
        "--tick-seconds",
        type=float,
        default=30.0,
        help="chair seconds of a session whose ticks are timed",
    )
    parser.add_argument("--no-run", action="store_true", help="tick costs only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child_tick(args.child, args.tick_seconds)))
        return
    sys.path.insert(0, str(HERE))
    from bench_twin import machine

    programs = list(PROGRAMS) if args.all else args.programs
    sides: list[tuple[str, Path]] = []
    other = args.other if str(args.other) not in ("", ".") else None
    if other is not None and other.resolve() != THIS_ROOT:
        sides.append(("other", other))
    sides.append(("this", THIS_ROOT))
    print(machine())
    for name, root in sides:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        print(f"{name}: {root} ({rev or 'no git'})")
    runs: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    ticks: dict[tuple[str, str], list[dict[str, float]]] = {}
    outcomes: dict[tuple[str, str], str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_run:
            for name, root in sides:  # warm-up: bytecode and a database, as after installing
                _run_cli(root, FIXED, str(Path(tmp) / name))
        for _ in range(args.rounds):
            for program in [*programs, FIXED]:
                for name, root in sides:
                    if program != FIXED:
                        ticks.setdefault((name, program), []).append(
                            _tick_in(root, program, args.tick_seconds, str(Path(tmp) / name))
                        )
                    if not args.no_run:
                        wall, cpu, outcome = _run_cli(root, program, str(Path(tmp) / name))
                        runs.setdefault((name, program), []).append(wall)
                        cpus.setdefault((name, program), []).append(cpu)
                        outcomes[(name, program)] = outcome
    names = [n for n, _ in sides]
    print(
        f"\ncontrol tick, one chair, service loop + session + supervisor + twin "
        f"({args.tick_seconds:g} s of chair time each, median of {args.rounds} round(s)), µs:"
    )
    head = "".join(f" {n + ' med':>11} {n + ' p99':>11} {n + ' svc':>10}" for n in names)
    print(f"{'program':<14}{head}{'  ratio med':>11}{'  ratio p99':>11}")
    for program in programs:
        cells = ""
        med = {}
        p99 = {}
        for n in names:
            med[n] = _median(ticks[(n, program)], "median_us")
            p99[n] = _median(ticks[(n, program)], "p99_us")
            svc = _median(ticks[(n, program)], "service_median_us")
            cells += f" {med[n]:>11.1f} {p99[n]:>11.1f} {svc:>10.1f}"
        ratio = (
            f"{med['other'] / med['this']:>11.2f}{p99['other'] / p99['this']:>11.2f}"
            if "other" in med
            else ""
        )
        print(f"{program:<14}{cells}{ratio}")
    if args.no_run:
        return
    print(
        f"\nwhole run, `openchair run PROGRAM --json` end to end (new process, scan + session), "
        f"median of {args.rounds} round(s), s (wall, and CPU of all its threads):"
    )
    head = "".join(f" {n + ' wall':>11} {n + ' CPU':>10}" for n in names)
    print(f"{'program':<14}{head}{'ratio wall':>11}{'ratio CPU':>10}  outcome")
    for program in [*programs, FIXED]:
        walls = {n: statistics.median(runs[(n, program)]) for n in names}
        cpu_s = {n: statistics.median(cpus[(n, program)]) for n in names}
        cells = "".join(f" {walls[n]:>11.2f} {cpu_s[n]:>10.2f}" for n in names)
        ratio = (
            f"{walls['other'] / walls['this']:>11.2f}{cpu_s['other'] / cpu_s['this']:>10.2f}"
            if "other" in walls
            else ""
        )
        print(f"{program:<14}{cells}{ratio}  {outcomes[('this', program)]}")


if __name__ == "__main__":
    main()
