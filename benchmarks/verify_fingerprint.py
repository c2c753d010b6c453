"""Record or compare a verification run's fingerprint: the proof that a faster implementation
gives the same results (every body's outcome and worst margins, per program).

Record:  .venv/bin/python benchmarks/verify_fingerprint.py --bodies 100 --out before.json
Compare: .venv/bin/python benchmarks/verify_fingerprint.py --bodies 100 --compare before.json

It prints the wall time of the run too, so a before/after pair is also a speed measurement.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from openchair.programs import ProgramLibrary
from openchair.verify import fingerprint as fpr
from openchair.verify.corners import corner_population
from openchair.verify.runner import verify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--population", default="parametric", help="parametric, ansur or corners (64 bodies)"
    )
    parser.add_argument("--programs", nargs="*", default=None, help="default: every built-in")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the fingerprint here")
    parser.add_argument("--compare", type=Path, default=None, help="compare with this one")
    parser.add_argument("--tol", type=float, default=fpr.DEFAULT_ABS_TOL)
    args = parser.parse_args()

    library = ProgramLibrary(user_dir=None)
    ids = args.programs or library.builtin_ids()
    people = corner_population(args.seed) if args.population == "corners" else None
    t0 = time.perf_counter()
    result = verify(
        [library.get(p) for p in ids],
        args.bodies,
        seed=args.seed,
        workers=args.workers,
        population_source=args.population,
        people=people,
    )
    wall = time.perf_counter() - t0
    print(f"verify: {len(ids)} programs x {args.bodies} bodies in {wall:.1f} s wall")
    fp = fpr.fingerprint(result)
    if args.out:
        fpr.save(fp, args.out)
        print(f"fingerprint written to {args.out}")
    if args.compare:
        diffs = fpr.compare(fpr.load(args.compare), fp, args.tol)
        if diffs:
            print(f"{len(diffs)} differences from {args.compare}; the first 20:")
            for d in diffs[:20]:
                print(f"  {d.where}: expected {d.expected!r}, got {d.got!r}")
            return 1
        print(f"identical to {args.compare} (tolerance {args.tol:g} on floats)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
