"""Adaptive work on tight spots: the share of Deep Tissue's roller time spent on true tight spots.

Run: .venv/bin/python benchmarks/tight_spots.py [--bodies 200] [--seed 0]

Each body of a sampled population is scanned on the twin; Deep Tissue is compiled against the
scanned map twice: with the tight spots the scan marked (adaptive) and with none (the same
program without adaptation). Roller time counts the program's ticks with the rollers pressing
(depth above 1 mm), sampled every 0.1 s, at the commanded carriage position; a tick is "on" a tight
spot when it lies within the spot's radius of one of the twin's true spots.
"""

from __future__ import annotations

import argparse

import numpy as np

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.population import sample_population
from openchair.hardware.contract import ChairDescription
from openchair.hardware.twin import TwinChair
from openchair.programs import ProgramLibrary, compile_program
from openchair.scan import run_scan


def share_on_spots(maps: BodyMapBatch, bodies: BodyBatch) -> np.ndarray:
    compiled = compile_program(
        ProgramLibrary(user_dir=None).get("deep-tissue"), maps, ChairDescription()
    )
    on = np.zeros(maps.batch_size)
    working = np.zeros(maps.batch_size)
    for tick in range(0, compiled.n_ticks, 10):
        f = compiled.setpoints_at(tick)
        pressing = f.depth_target_mm > 1.0
        near = np.zeros(maps.batch_size, dtype=bool)
        for i, body in enumerate(bodies.bodies):
            near[i] = any(
                abs(f.carriage_y_target_mm[i] - s.y_mm) <= s.radius_mm for s in body.tight_spots
            )
        on += pressing & near
        working += pressing
    return on / np.maximum(working, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    people = sample_population(args.bodies, np.random.default_rng(args.seed))
    bodies = BodyBatch.from_params(people)
    result = run_scan(TwinChair(bodies, seeds=list(range(args.bodies))))
    scanned = result.maps()
    without = BodyMapBatch(
        scanned.landmarks_y_mm,
        scanned.comfortable_depth_mm,
        scanned.comfort_force_n,
        np.zeros((scanned.batch_size, 0)),
    )
    adaptive = share_on_spots(scanned, bodies)
    plain = share_on_spots(without, bodies)
    found = np.isfinite(scanned.tight_spots_y_mm).sum() if scanned.tight_spots_y_mm.size else 0
    true = sum(len(b.tight_spots) for b in bodies.bodies)
    print(
        f"{args.bodies} bodies (seed {args.seed}); scan marked {found} tight spots, twin has {true}"
    )
    print("share of Deep Tissue roller time on true tight spots (median over bodies):")
    ratio = np.median(adaptive) / max(np.median(plain), 1e-9)
    print(
        f"  adaptive {100 * np.median(adaptive):.1f} %   without adaptation "
        f"{100 * np.median(plain):.1f} %   ratio {ratio:.2f}"
    )
    print(f"  mean: adaptive {100 * adaptive.mean():.1f} %, without {100 * plain.mean():.1f} %")


if __name__ == "__main__":
    main()
