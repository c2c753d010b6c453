"""Twin steps per second for N = 1 and N = 1000 chairs; prints the machine it ran on.

Run: .venv/bin/python benchmarks/bench_twin.py [--steps 300] [--repeats 5]
A "step" is one 10 ms physics tick of every chair in the batch, including writing the command
frame (validated) and sensing the readings, as a control loop drives it: the twin alone, without
the supervisor, the session or the verifier. Besides the rates (wall clock) it prints the twin's
cost per step and per chair-step in µs of this thread's CPU time, which other processes on a
shared machine disturb less than the wall clock. Medians over the repeats.

``--in-verify N`` also times the twin where verification runs it: Deep Tissue after the scan on N
bodies through every layer, the twin's ``read`` and ``write`` timed in place (CPU µs per tick),
against the whole tick; there the rest of the tick has pushed the twin's data out of the cache.

To compare two versions of the code, run this same file with each one's interpreter, e.g.
``(cd ../main && .venv/bin/python ../kernel-twin/benchmarks/bench_twin.py)``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.body.population import sample_population
from openchair.hardware.contract import Commands, Readings
from openchair.hardware.twin import TwinChair


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
    )


def bench(n: int, steps: int, repeats: int) -> tuple[float, float]:
    """Median steps per second (wall) and CPU µs per step of ``n`` chairs."""
    params = (
        sample_population(n, np.random.default_rng(0))
        if n > 1
        else [BodyParams.from_percentile(50, "male")]
    )
    twin = TwinChair(BodyBatch.from_params(params))
    cmd = Commands.safe(twin.description, n)
    cmd.carriage_y_target_mm[:] = 400.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 50.0
    cmd.knead_speed_cpm[:] = 40.0
    cmd.air_pressure_target_kpa[:, :4] = 20.0
    cmd.heater_target_c[:, 0] = 40.0
    for _ in range(20):
        twin.step(cmd)
    rates = []
    cpu_us = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        for _ in range(steps):
            twin.step(cmd)
        cpu_us.append((time.thread_time() - c0) / steps * 1e6)
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates), statistics.median(cpu_us)


def in_verify(n: int, ticks: int) -> tuple[float, float, float]:
    """CPU µs per tick of the twin's ``read``, its ``write`` and the whole verification tick."""
    from openchair.control.session import Session
    from openchair.programs import ProgramLibrary
    from openchair.verify.monitor import TickMonitor
    from openchair.verify.rules import DEFAULT_CRITERIA
    from openchair.verify.runner import population, scan_chunk

    program = ProgramLibrary(user_dir=None).get("deep-tissue")
    chunk = scan_chunk(population(n, 0), list(range(n)))
    assert chunk.twin is not None and chunk.maps is not None
    twin = chunk.twin
    spent = {"read": 0.0, "write": 0.0}
    read, write = twin.read, twin.write

    def timed_read(now_s: float) -> Readings:
        c0 = time.thread_time()
        r = read(now_s)
        spent["read"] += time.thread_time() - c0
        return r

    def timed_write(commands: Commands, now_s: float) -> None:
        c0 = time.thread_time()
        write(commands, now_s)
        spent["write"] += time.thread_time() - c0

    twin.read, twin.write = timed_read, timed_write  # type: ignore[method-assign]
    session = Session(program, chunk.maps, twin, start_s=chunk.start_s)
    monitor = TickMonitor(twin.bodies, session.compiled, twin.description, DEFAULT_CRITERIA)
    c0 = time.thread_time()
    for k in range(ticks):
        t = session.start_s + k * session.tick_s
        session.tick(t, 0.0)
        assert session.last_setpoints is not None
        step = session.compiled.step_at(session.program_tick - 1)
        monitor.observe(session.last_setpoints, twin.peek_truth(), session.state, step, t)
    whole = (time.thread_time() - c0) / ticks * 1e6
    return spent["read"] / ticks * 1e6, spent["write"] / ticks * 1e6, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--in-verify", type=int, nargs="*", default=[], metavar="N")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{'N':>5} {'steps/s':>8} {'chair-steps/s':>14} {'sim s/wall s':>13}"
        f" {'CPU µs/step':>12} {'µs/chair-step':>14}"
    )
    for n in (1, 1000):
        steps_s, cpu_us = bench(n, args.steps, args.repeats)
        print(
            f"{n:>5} {steps_s:>8,.0f} {steps_s * n:>14,.0f} {steps_s * 0.01:>13,.1f}"
            f" {cpu_us:>12,.1f} {cpu_us / n:>14,.3f}"
        )
    for n in args.in_verify:
        r, w, whole = in_verify(n, args.steps * 2)
        print(
            f"in verification, N={n}: twin read {r:,.0f} + write {w:,.0f} µs of {whole:,.0f} µs"
            f" per tick (CPU; {(r + w) / whole:.0%})"
        )


if __name__ == "__main__":
    main()
