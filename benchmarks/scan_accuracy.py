"""Scan accuracy over a simulated population: landmark errors against the twin's truth.

Run: .venv/bin/python benchmarks/scan_accuracy.py [--bodies 1000] [--seed 0] [--markdown]
     [--population parametric|ansur]

Bodies come from a population sampler (``parametric``: varied stature, mass, shape and tissue, one
shape scaled by stature; ``ansur``: measured persons of the survey file, landmarks from their own
measures; sensor noise on), scanned together as one batch. Prints the error of the shoulder line
and every landmark (median, p95, max, in mm), the scan's duration, and every failed scan with its
body parameters.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_twin import machine
from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARKS
from openchair.body.population import POPULATIONS, sample
from openchair.hardware.twin import TwinChair
from openchair.scan import ScanOutcome, run_scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print tables as markdown")
    parser.add_argument("--population", choices=POPULATIONS, default="parametric")
    parser.add_argument(
        "--shoulder-only",
        action="store_true",
        help="place the spine from the shoulder line alone (the scan before the lumbar hollow)",
    )
    parser.add_argument(
        "--hollow-only",
        action="store_true",
        help="place the spine from the lumbar hollow and the shoulder line (before the back "
        "template)",
    )
    args = parser.parse_args()
    people = sample(args.population, args.bodies, np.random.default_rng(args.seed))
    bodies = BodyBatch.from_params(people)
    twin = TwinChair(bodies, seeds=list(range(args.bodies)))
    t0 = time.perf_counter()
    result = run_scan(
        twin, lumbar_from_hollow=not args.shoulder_only, whole_profile=not args.hollow_only
    )
    wall = time.perf_counter() - t0
    outcomes = Counter(c.outcome.value for c in result.chairs)
    ok = [i for i, c in enumerate(result.chairs) if c.outcome is ScanOutcome.OK]
    print(f"machine: {machine()}")
    print(
        f"{args.bodies} {args.population} bodies (seed {args.seed}"
        f"{', shoulder line only' if args.shoulder_only else ''}"
        f"{', hollow and shoulder line only' if args.hollow_only else ''}), "
        f"scanned as one batch in {wall:.1f} s wall; "
        f"slowest scan {max(result.chairs_ready_s):.1f} s simulated, hand-over at "
        f"{result.duration_s + 0.01:.1f} s (limit 20 s)"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    rows = []
    for j, name in enumerate(LANDMARKS):
        if name == "seat_crease":
            continue
        err = np.abs(
            [
                result.chairs[i].body_map.landmarks_y_mm[name] - bodies.landmarks_y_mm[i, j]  # type: ignore[union-attr]
                for i in ok
            ]
        )
        rows.append((name, np.median(err), np.percentile(err, 95), err.max()))
    if args.markdown:
        print("\n| landmark | median mm | p95 mm | max mm |\n|---|---|---|---|")
        for name, med, p95, mx in rows:
            print(f"| {name} | {med:.1f} | {p95:.1f} | {mx:.1f} |")
    else:
        print(f"\n{'landmark':>12} {'median':>7} {'p95':>7} {'max':>7}  (mm)")
        for name, med, p95, mx in rows:
            print(f"{name:>12} {med:7.1f} {p95:7.1f} {mx:7.1f}")
    worst = max(rows[:-1], key=lambda r: r[2])
    print(
        f"\nshoulder line p95 {rows[-1][2]:.1f} mm (target 10); worst landmark p95 "
        f"{worst[0]} {worst[2]:.1f} mm (target 15)"
    )
    failed = [i for i, c in enumerate(result.chairs) if c.outcome is not ScanOutcome.OK]
    for i in failed[:20]:
        print(f"failed: {result.chairs[i].outcome.value}: --body {people[i].describe()}")


if __name__ == "__main__":
    main()
