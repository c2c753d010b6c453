"""What a human body can be, by openchair's body model: the ranges behind ``BODY_MAP_*`` in
``safety/limits.py`` (docs/SAFETY.md, "What a human body can be").

Prints, per region, the comfortable depth and comfort force of the true maps of a sampled
population and the 64 corners, and per landmark its height; then the same for the scan's own
maps of the corners; and whether every map falls inside the bounds. About 30 s.

    .venv/bin/python benchmarks/map_bounds_survey.py [--bodies 3000]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import LANDMARK_INDEX, REGION_NAMES
from openchair.body.model import BodyParams, BodyParamsError, make_body
from openchair.body.population import sample_population
from openchair.hardware.twin import TwinChair
from openchair.safety.mapcheck import bounds_problem
from openchair.scan.run import run_scan
from openchair.verify.corners import corner_population


def fitting(params: list[BodyParams]) -> list[BodyParams]:
    """Each body, or the first of its next seeds the chair fits (a neck off the track)."""
    out = []
    for p in params:
        for k in range(5):
            q = dataclasses.replace(p, seed=p.seed + 1000 * k)
            try:
                make_body(q)
            except BodyParamsError:
                continue
            out.append(q)
            break
    return out


def show(title: str, maps: BodyMapBatch) -> None:
    print(f"{title} ({maps.batch_size} maps)")
    for j, r in enumerate(REGION_NAMES):
        d, f = maps.comfortable_depth_mm[:, j], maps.comfort_force_n[:, j]
        print(
            f"  {r:11s} depth {d.min():6.1f}..{d.max():6.1f} mm   "
            f"force {f.min():6.1f}..{f.max():6.1f} N"
        )
    y = {n: maps.landmarks_y_mm[:, i] for n, i in LANDMARK_INDEX.items()}
    for label, v in (
        ("shoulder", y["shoulder"]),
        ("S1", y["S1"]),
        ("L3", y["L3"]),
        ("C7 - S1", y["C7"] - y["S1"]),
        ("C7 - shoulder", y["C7"] - y["shoulder"]),
    ):
        print(f"  {label:13s} {v.min():7.1f}..{v.max():7.1f} mm")
    outside = [i for i in range(maps.batch_size) if bounds_problem(maps, i) is not None]
    print(f"  outside the bounds: {len(outside)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bodies", type=int, default=3000)
    args = ap.parse_args()
    corners = fitting(corner_population(0))
    sampled = fitting(sample_population(args.bodies, np.random.default_rng(1)))
    show("body model", BodyBatch.from_params(corners + sampled).true_maps())
    twin = TwinChair(BodyBatch.from_params(corners), seeds=list(range(len(corners))))
    scan = run_scan(twin)
    show("scanned corners", BodyMapBatch.from_maps([c.body_map for c in scan.chairs if c.body_map]))


if __name__ == "__main__":
    main()
