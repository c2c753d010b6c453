"""Hash every tick of the twin (readings and truth, bit for bit) over a scenario that drives every
part of it: moves, kneading, both tapping modes, air, heat up to the cut-out, recline both ways,
the supply relay, lost frames and the watchdog, every injectable fault, the stop button, the
``read``/``write`` path with time jumps, and copies of a running twin.

It is the twin's identity check: a faster implementation of the twin must give the same hashes.
The verification fingerprint (``verify_fingerprint.py``) compares outcomes and margins within a
tolerance; this compares every bit of every tick, faults included.

Record:  .venv/bin/python benchmarks/twin_trace.py --out before.json
Compare: .venv/bin/python benchmarks/twin_trace.py --compare before.json
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.body.population import sample_population
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.twin import TwinChair
from openchair.hardware.twin.chair import TwinPhysics
from openchair.hardware.twin.faults import PER_HEATER, PER_ZONE, TwinFault


def _digest(h: Any, value: object) -> None:
    if isinstance(value, np.ndarray):
        # Layout too: reductions over the columns of a column-major array can sum in another
        # order than over a row-major one.
        h.update(f"{value.dtype}{value.shape}{value.flags.f_contiguous}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    else:
        h.update(repr(value).encode())


def _hash_tick(h: Any, readings: Readings, twin: TwinChair) -> None:
    for f in fields(readings):
        _digest(h, getattr(readings, f.name))
    truth = twin.peek_truth()
    for f in fields(truth):
        _digest(h, getattr(truth, f.name))


def _commands(
    rng: np.random.Generator, d: ChairDescription, shoulder_mm: np.ndarray, tick: int
) -> Commands:
    """A fresh frame for every chair: targets across each range (the carriage around the
    shoulder, where the shoulder sensor sees it), a few chairs idle."""
    n = shoulder_mm.size
    cmd = Commands.safe(d, n)
    y = np.where(rng.random(n) < 0.8, shoulder_mm + rng.uniform(-40.0, 40.0, n), 0.0)
    cmd.carriage_y_target_mm[:] = np.clip(y, d.carriage_y_min_mm, d.carriage_y_max_mm)
    cmd.carriage_speed_limit_mm_s[:] = rng.choice([0.0, 20.0, d.carriage_speed_max_mm_s], n)
    cmd.depth_target_mm[:] = rng.choice([0.0, 30.0, 60.0, d.depth_max_mm], n)
    cmd.width_target_mm[:] = rng.uniform(d.width_min_mm, d.width_max_mm, n)
    cmd.knead_speed_cpm[:] = rng.choice([0.0, 0.0, 30.0, d.knead_speed_max_cpm], n)
    cmd.knead_direction[:] = rng.choice([-1, 1], n)
    # Tapping in some segments only: the twin takes another path while no chair taps.
    taps = tick % 1200 >= 600
    cmd.tap_rate_hz[:] = rng.choice([0.0, 4.0, d.tap_rate_max_hz], n) if taps else 0.0
    cmd.tap_mode[:] = rng.integers(0, 2, n)
    air = rng.uniform(0.0, d.air_pressure_max_kpa, (n, d.n_air_zones))
    air[rng.random((n, d.n_air_zones)) < 0.5] = 0.0
    cmd.air_pressure_target_kpa[:] = air if tick >= 300 else 0.0
    heat = rng.choice([0.0, 38.0, d.heater_target_max_c], (n, d.n_heaters))
    cmd.heater_target_c[:] = heat if tick >= 500 else 0.0
    cmd.backrest_angle_target_deg[:] = rng.choice(
        [d.backrest_angle_min_deg, 130.0, d.backrest_angle_max_deg], n
    )
    cmd.legrest_angle_target_deg[:] = rng.choice(
        [d.legrest_angle_min_deg, 40.0, d.legrest_angle_max_deg], n
    )
    cmd.foot_roller_level[:] = rng.integers(0, d.foot_roller_levels + 1, n)
    cmd.supply_off[:] = rng.random(n) < (0.1 if tick >= 2000 else 0.0)
    return cmd


def _faults(d: ChairDescription, n: int) -> list[tuple[int, str, TwinFault, list[int], str | None]]:
    """(tick, inject|clear, fault, chairs, target): every fault on some chairs, some cleared."""
    plan: list[tuple[int, str, TwinFault, list[int], str | None]] = []
    for k, fault in enumerate(TwinFault):
        chairs = [(3 * k) % n, (3 * k + 7) % n]
        target = None
        if fault in PER_HEATER:
            target = d.heaters[k % d.n_heaters]
        elif fault in PER_ZONE:
            target = d.air_zones[k % d.n_air_zones]
        start = 700 + 97 * k
        plan.append((start, "inject", fault, chairs, target))
        if k % 3 == 0:
            plan.append((start + 400, "clear", fault, chairs[:1], None))
    return plan


def run(
    description: ChairDescription, physics: TwinPhysics, n: int, ticks: int, seed: int
) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    params = sample_population(n, np.random.default_rng(seed + 1))
    twin = TwinChair(
        BodyBatch.from_params(params),
        description=description,
        seeds=[seed * 1000 + i for i in range(n)],
        physics=physics,
    )
    d = twin.description
    shoulder = twin.bodies.landmarks_y_mm[:, LANDMARK_INDEX["shoulder"]]
    plan = sorted(_faults(d, n), key=lambda e: e[0])
    segments: dict[str, str] = {}
    h = hashlib.sha256()
    cmd = _commands(rng, d, shoulder, 0)
    tick = 0
    while tick < ticks:
        for at, action, fault, chairs, target in plan:
            if at == tick:
                if action == "inject":
                    twin.inject(fault, chairs, target)
                else:
                    twin.clear(fault, chairs)
        if tick % 50 == 0:
            cmd = _commands(rng, d, shoulder, tick)
        if tick % 400 == 200:
            twin.press_stop_button(tick % 800 == 200, [tick % n])
        if tick % 500 == 250:
            # The read/write path: a frame written, time jumping a few ticks, read twice.
            now = twin.time_s + 0.035
            twin.write(cmd, now)
            _hash_tick(h, twin.read(now), twin)
            _hash_tick(h, twin.read(now + 0.021), twin)
            tick = round(twin.time_s / 0.01)
        elif tick % 1000 == 600:
            # A copy carries on exactly like the original (the verifier copies scanned twins).
            twin = copy.deepcopy(twin) if tick % 2000 == 600 else pickle.loads(pickle.dumps(twin))
            _hash_tick(h, twin.step(cmd), twin)
            tick += 1
        else:
            _hash_tick(h, twin.step(cmd), twin)
            tick += 1
        if tick % 250 == 0:
            segments[f"tick {tick}"] = h.hexdigest()
    # Lost frames to the end: the watchdog trips, then the supply relay opens.
    for _ in range(600):
        _hash_tick(h, twin.read(twin.time_s + 0.01), twin)
    segments["unattended"] = h.hexdigest()
    twin.close()
    _hash_tick(h, twin.step(Commands.safe(d, n)), twin)
    segments["closed"] = h.hexdigest()
    return segments


SCENARIOS: dict[str, tuple[ChairDescription, TwinPhysics, int]] = {
    # Fast heaters so that the cut-outs open within the run.
    "reference": (ChairDescription(), TwinPhysics(heater_rate_c_s=2.0), 24),
    "bare board": (
        ChairDescription(supply_relay=False, heater_cutout_c=None, heater_current_a=0.0),
        TwinPhysics(heater_rate_c_s=2.0, heater_power_factor=1.2),
        9,
    ),
    "one chair": (ChairDescription(), TwinPhysics(), 1),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None)
    args = parser.parse_args()
    result = {
        name: run(desc, phys, n, args.ticks, args.seed)
        for name, (desc, phys, n) in SCENARIOS.items()
    }
    for name, segs in result.items():
        print(f"{name}: {segs['closed']}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    if args.compare:
        expected = json.loads(args.compare.read_text())
        bad = 0
        for name, segs in expected.items():
            for seg, digest in segs.items():
                if result.get(name, {}).get(seg) != digest:
                    print(f"DIFFERENT from {seg} on, scenario {name!r}")
                    bad += 1
                    break
        if bad:
            return 1
        print(f"identical to {args.compare}: every tick of every scenario")
    return 0


if __name__ == "__main__":
    sys.exit(main())
