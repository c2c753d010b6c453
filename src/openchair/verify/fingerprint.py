"""A verification run's fingerprint: every body's outcome and worst margins, to prove a change of
implementation (a faster kernel, a new scheduler, a cluster) did not change a single result.

The fingerprint keeps, per program and body, the outcome, every rule's worst margin and the time
it happened, the peak force and its ratio to the pain threshold, the coverage, the seconds spent on
each part of the back and the number of safety events. Two fingerprints are compared exactly for
outcomes and event counts, and within a tolerance for the floating-point values: a compiled kernel
may round its last bit differently from numpy (a fused multiply-add, another order of a sum), which
moves a margin by about 1e-12 mm, never by a tenth of a millimetre.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openchair.verify.result import VerifyResult

FINGERPRINT_VERSION = 1
DEFAULT_ABS_TOL = 1e-6
"""Absolute tolerance on margins, forces, seconds and ratios (mm, N, s, 1)."""


def fingerprint(result: VerifyResult) -> dict[str, object]:
    """The comparable content of ``result`` as plain JSON data."""
    programs: dict[str, object] = {}
    for p in result.programs:
        bodies: dict[str, object] = {}
        for i, body in enumerate(p.bodies.tolist()):
            bodies[str(body)] = {
                "outcome": p.outcome[i],
                "margins": {rule: _num(v[i]) for rule, v in sorted(p.margins.items())},
                "worst_time_s": {rule: _num(v[i]) for rule, v in sorted(p.worst_time_s.items())},
                "peak_force_n": _num(p.peak_force_n[i]),
                "threshold_at_peak_n": _num(p.threshold_at_peak_n[i]),
                "peak_ratio": _num(p.peak_ratio[i]),
                "coverage": _num(p.coverage[i]),
                "back_seconds": [_num(x) for x in np.asarray(p.back_seconds[i]).tolist()],
                "safety_events": int(p.safety_events[i]),
            }
        # Not the chair-ticks counted: that is work done, which depends on how the run was cut
        # into jobs (chunks, programs batched together), not a result.
        programs[p.program_id] = {"bodies": bodies}
    return {
        "version": FINGERPRINT_VERSION,
        "population_source": result.population_source,
        "seed": result.seed,
        "intensity": result.intensity,
        "bodies": len(result.population),
        "programs": programs,
    }


def save(fp: dict[str, object], path: Path) -> None:
    """Write ``fp`` as JSON (gzip-compressed when the name ends in ``.gz``)."""
    text = json.dumps(fp, indent=1, sort_keys=True) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")


def load(path: Path) -> dict[str, object]:
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    if not isinstance(data, dict) or data.get("version") != FINGERPRINT_VERSION:
        raise ValueError(f"{path}: not a version {FINGERPRINT_VERSION} verification fingerprint")
    return data


@dataclass(frozen=True)
class Difference:
    where: str
    expected: object
    got: object


def compare(
    expected: dict[str, object], got: dict[str, object], abs_tol: float = DEFAULT_ABS_TOL
) -> list[Difference]:
    """Every place where ``got`` differs from ``expected`` (empty: the same results)."""
    out: list[Difference] = []
    _walk("", expected, got, abs_tol, out)
    return out


def _walk(where: str, a: object, b: object, tol: float, out: list[Difference]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(Difference(f"{where}/{key}", a.get(key), b.get(key)))
            else:
                _walk(f"{where}/{key}", a[key], b[key], tol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(Difference(f"{where}[len]", len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _walk(f"{where}[{i}]", x, y, tol, out)
    elif isinstance(a, float) and isinstance(b, (float, int)) and not isinstance(b, bool):
        if not math.isclose(a, float(b), rel_tol=0.0, abs_tol=tol):
            out.append(Difference(where, a, b))
    elif a != b:
        out.append(Difference(where, a, b))


def _num(x: object) -> float | str:
    """A float as JSON can hold it: infinities and NaN (a rule that never applied) as text."""
    v = float(x)  # type: ignore[arg-type]
    return v if math.isfinite(v) else repr(v)
