"""The whole spine from the whole back profile: a back template fitted to what the sweep felt.

The lumbar hollow alone places L3 well, but the spine's length then hangs on C7, which the
shoulder line places only to within ±16 mm (one SD: people differ in how far the neck's base
stands above the acromion), and every lumbar landmark below L3 inherits that error. The back
profile carries more than the hollow's centre:

- the **hollow's width** grows with the lumbar spine's length (the lordosis spans the lumbar
  vertebrae);
- the **thoracic curve**: the back lies on the backrest around T7 (the thoracic apex, where the
  scapula tips are) and rises from there towards the neck ever more steeply;
- the **tissue**: the thick muscle of the lumbar region gives more under the light contact force
  than the thin layer over the ribs, and the change between them follows where L1 and the
  scapula tips are.

This module fits a template of a seated back (the body model's shape: docs/BODY.md) to the
profile for every candidate spine (S1 and the S1–C7 length, on a grid, coarse then fine), with
the template's amplitudes (lordosis depth, the thoracic curve, the tissue's overall softness)
solved by least squares for each. It takes the **softer side's** force (a tight spot under one
roller stiffens that side) and sets aside, twice in each stage, samples well below the fit
(stiffer tissue only ever makes the back seem nearer, never farther).

What the shoulder line says about the spine is added as a prior: the survey's seated heights
(:mod:`openchair.body.survey`, 4,854 measured persons, both sexes pooled, as the chair does not
know who sits) give S1 and C7 from the acromion's height with their residual spread; the
profile's misfit is weighed against it. The template is the body model's back, so the figures
in docs/SCAN.md say how well the method reads the model's backs with real people's landmark
positions, not real backs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

from openchair.body import anthropometry as anthro
from openchair.body.landmarks import SPINE_LANDMARKS
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SPINE_FRACTIONS: Final[FloatArray] = np.concatenate(
    [[0.0], np.cumsum(anthro.SPINE_GAPS_FROM_S1)]
).astype(np.float64)
"""Where each spinous process lies between S1 (0) and C7 (1)."""
_F = {name: float(SPINE_FRACTIONS[i]) for i, name in enumerate(SPINE_LANDMARKS)}

FIT_FROM_Y_MM: Final[float] = 60.0
"""The profile is fitted from here up: nearer the seat crease the rollers are still settling
onto the back at the start of the sweep."""
HOLLOW_WIDTH_PER_LUMBAR: Final[float] = 0.38
"""The hollow's width (one SD of the bell) per S1–T12 length, as in the body model."""
KYPHOSIS_LIFT_WIDTH_MM: Final[float] = 60.0
TRUNCATIONS: Final[tuple[float, ...]] = (0.0, 0.06, 0.12, 0.18)
"""Shares of the hollow's depth that padding (more tissue in a fuller body) fills in."""
STAGES: Final[tuple[tuple[float, float, float, float], ...]] = (
    (100.0, 8.0, 130.0, 10.0),
    (12.0, 2.0, 16.0, 4.0),
    (4.0, 1.0, 6.0, 2.0),
)
"""Candidate grids, coarse to fine: (S1 ± span, step, length ± span, step), mm, each around the
previous stage's best."""
ENVELOPE_ROUNDS: Final[int] = 2
ENVELOPE_MM: Final[float] = 1.5
"""After each stage, samples this far below the fit are set aside (a tight spot), twice."""
PROFILE_WEIGHT: Final[float] = 1.0 / 8.0
"""The profile's misfit, in units of its own residual variance, is weighed by this against the
shoulder line's prior: the residuals of neighbouring grid points are not independent (the bins
are smoothed, and the template is only an approximation of the back), so each counts for less
than one independent measurement. Chosen on 200 measured persons (seed 0) over 0.5..20; the
accuracy changes little between 3 and 20 (docs/SCAN.md)."""
_REF = anthro.TISSUE_REFERENCE_FORCE_N
_E = anthro.TISSUE_EXP_LENGTH_MM


@dataclass(frozen=True)
class ShoulderPrior:
    """S1 and C7 above the seat from the acromion's: linear in it, with the residual spread."""

    coef: FloatArray  # (2, 2): rows intercept and slope, columns S1 and C7
    inv_cov: FloatArray  # (2, 2)
    sd_mm: tuple[float, float]


@cache
def shoulder_prior() -> ShoulderPrior:
    """The prior from the survey's persons: seated heights as :mod:`openchair.body.measured`
    places them (C7 at the cervicale, L4 at the iliac crest, S1 below L4 by the spine spacing)."""
    from openchair.body.measured import L4_FRACTION
    from openchair.body.survey import MEASURES, load_survey

    survey = load_survey()
    rows = np.vstack([survey[sex].values for sex in ("female", "male")])
    col = {m: j for j, m in enumerate(MEASURES)}

    def seated(column: str) -> FloatArray:
        return np.asarray(
            rows[:, col["sittingheight"]] - (rows[:, col["stature"]] - rows[:, col[column]]),
            dtype=np.float64,
        )

    shoulder, c7, l4 = (
        seated("acromialheight"),
        seated("cervicaleheight"),
        seated("iliocristaleheight"),
    )
    length = (c7 - l4) / (1.0 - L4_FRACTION)
    s1 = l4 - L4_FRACTION * length
    a = np.column_stack([np.ones_like(shoulder), shoulder])
    target = np.column_stack([s1, c7])
    coef = np.linalg.lstsq(a, target, rcond=None)[0]
    cov = np.cov((target - a @ coef).T)
    return ShoulderPrior(
        coef=np.asarray(coef, dtype=np.float64),
        inv_cov=np.asarray(np.linalg.inv(cov), dtype=np.float64),
        sd_mm=(float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))),
    )


def prior_from_shoulder(shoulder_y_mm: float) -> tuple[float, float]:
    """The survey's expected S1 and C7 for this shoulder line."""
    pred = np.array([1.0, shoulder_y_mm]) @ shoulder_prior().coef
    return float(pred[0]), float(pred[1])


def _prior_penalty(s1: FloatArray, length: FloatArray, shoulder_y_mm: float) -> FloatArray:
    p = shoulder_prior()
    s1_hat, c7_hat = prior_from_shoulder(shoulder_y_mm)
    r0 = s1 - s1_hat
    r1 = s1 + length - c7_hat
    ic = p.inv_cov
    return np.asarray(
        ic[0, 0] * r0**2 + 2.0 * ic[0, 1] * r0 * r1 + ic[1, 1] * r1**2, dtype=np.float64
    )


def _tissue_reference(s1: FloatArray, length: FloatArray, ys: FloatArray) -> FloatArray:
    """(C, Y) the body model's tissue force scale along the back for each candidate spine
    (linear between the regions' centres, as the body model lays it; the scapula tip at T7)."""

    def at(name: str) -> FloatArray:
        return np.asarray(s1 + _F[name] * length, dtype=np.float64)

    c7 = s1 + length
    centres = (
        np.full_like(s1, -100.0),  # the glutes' centre, under the seat
        (20.0 + s1) / 2.0,
        (s1 + at("L1")) / 2.0,
        (at("L1") + at("T7")) / 2.0,
        (at("T7") + at("T1")) / 2.0,
        (at("T3") + c7) / 2.0,
        c7 + 45.0,
    )
    values = [_REF[r] for r in ("glutes", "sacrum", "lumbar", "mid-back", "upper-back")]
    values += [_REF["shoulders"], _REF["neck"]]
    out = np.full((s1.size, ys.size), values[0])
    for j in range(len(values) - 1):
        c0 = centres[j][:, None]
        c1 = centres[j + 1][:, None]
        frac = np.clip((ys[None, :] - c0) / (c1 - c0), 0.0, 1.0)
        out = np.where(ys[None, :] >= c0, values[j] + frac * (values[j + 1] - values[j]), out)
    return out


def _misfit(
    ys: FloatArray,
    depth: FloatArray,
    force: FloatArray,
    weight: FloatArray,
    s1: FloatArray,
    length: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Least-squares misfit of the template for each candidate spine (the best truncation each),
    and the residual profile of the first candidate (for setting tight spots aside)."""
    ref = _tissue_reference(s1, length, ys)
    gap = depth[None, :] - _E * np.log1p(force[None, :] / ref)
    # How the compression changes with the tissue's overall softness (its derivative there).
    softness = _E * force[None, :] / (ref + force[None, :])

    def at(name: str) -> FloatArray:
        return np.asarray((s1 + _F[name] * length)[:, None], dtype=np.float64)

    width = HOLLOW_WIDTH_PER_LUMBAR * _F["T12"] * length[:, None]
    bell = np.exp(-0.5 * ((ys[None, :] - at("L3")) / width) ** 2)
    rise = np.clip((ys[None, :] - at("T7")) / ((1.0 - _F["T7"]) * length[:, None]), 0.0, None) ** 2
    lift = np.exp(-0.5 * ((ys[None, :] - at("L1")) / KYPHOSIS_LIFT_WIDTH_MM) ** 2)
    # The body model's thoracic curve: (12 + 22 k)·rise above T7 and 6 (k − 1)·lift at L1 for a
    # kyphosis k: linear in k once the parts that do not depend on it are moved to the left.
    target = gap - 12.0 * rise + 6.0 * lift
    best = np.full(s1.size, np.inf)
    best_res = np.zeros(ys.size)
    ones = np.ones_like(bell)
    for t in TRUNCATIONS:
        x = np.stack([ones, np.maximum(bell - t, 0.0), 22.0 * rise + 6.0 * lift, softness], axis=1)
        xw = x * weight[None, None, :]
        a = np.einsum("ckg,cjg->ckj", xw, x) + 1e-6 * np.eye(x.shape[1])[None]
        b = np.einsum("ckg,cg->ck", xw, target)
        p = np.linalg.solve(a, b[..., None])[..., 0]
        res = target - np.einsum("ck,ckg->cg", p, x)
        sse = np.einsum("cg,g->c", res**2, weight)
        sse = np.where(p[:, 1] > 0.0, sse, np.inf)  # a hollow, not a hump
        if sse[0] < best[0]:
            best_res = res[0]
        best = np.minimum(best, sse)
    return best, best_res


def _binned(y: FloatArray, values: FloatArray, use: BoolArray) -> tuple[BoolArray, FloatArray]:
    idx = np.clip(np.round((y - GRID_Y_MM[0]) / GRID_STEP_MM).astype(int), 0, GRID_Y_MM.size - 1)
    counts = np.bincount(idx[use], minlength=GRID_Y_MM.size)
    sums = np.bincount(idx[use], weights=values[use], minlength=GRID_Y_MM.size)
    seen = counts > 0
    return seen, np.where(seen, sums / np.maximum(counts, 1), np.nan)


def _smooth3(values: FloatArray) -> FloatArray:
    return np.asarray(
        np.convolve(np.pad(values, 1, mode="edge"), np.ones(3) / 3.0, mode="valid"),
        dtype=np.float64,
    )


def fit_spine(
    y: FloatArray,
    depth: FloatArray,
    force_soft: FloatArray,
    use: BoolArray,
    *,
    s1_mm: float,
    length_mm: float,
    shoulder_y_mm: float,
) -> tuple[float, float] | None:
    """S1 and the S1–C7 length that best explain the sweep with the shoulder line's prior,
    searched around a first estimate (``s1_mm``, ``length_mm``); None if too little of the back
    was touched. ``use``: the samples taken at about the contact force."""
    use = use & np.isfinite(y) & np.isfinite(depth) & np.isfinite(force_soft)
    seen, depth_b = _binned(y, depth, use)
    _, force_b = _binned(y, force_soft, use)
    sel = seen & (GRID_Y_MM >= FIT_FROM_Y_MM)
    if sel.sum() < 40:
        return None
    ys = GRID_Y_MM[sel]
    d = _smooth3(depth_b[sel])
    f = np.maximum(_smooth3(force_b[sel]), 0.0)
    weight = np.ones(ys.size)
    s1, length = s1_mm, length_mm
    for span_s, step_s, span_l, step_l in STAGES:
        grid_s, grid_l = np.meshgrid(
            np.arange(s1 - span_s, s1 + span_s + 0.01, step_s),
            np.arange(length - span_l, length + span_l + 0.01, step_l),
            indexing="ij",
        )
        cand_s, cand_l = grid_s.ravel(), grid_l.ravel()
        cand_l = np.maximum(cand_l, 200.0)
        sse, _ = _misfit(ys, d, f, weight, cand_s, cand_l)
        noise = max(float(np.min(sse)) / max(float(weight.sum()), 1.0), 0.5)
        crit = PROFILE_WEIGHT * sse / noise + _prior_penalty(cand_s, cand_l, shoulder_y_mm)
        k = int(np.argmin(crit))
        if not np.isfinite(crit[k]):
            return None
        s1, length = float(cand_s[k]), float(cand_l[k])
        for _ in range(ENVELOPE_ROUNDS):
            _, res = _misfit(ys, d, f, weight, np.array([s1]), np.array([length]))
            weight = weight * (res >= -ENVELOPE_MM)
    return s1, length
