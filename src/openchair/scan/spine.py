"""The lumbar spine from the back's profile: where the hollow of the lower back is centred.

People of the same shoulder height differ in where their lumbar spine sits by about ±19 mm (one
SD, ANSUR II: the iliac crest seated hardly follows the shoulder), so the shoulder line alone
cannot place S1..L1 within 15 mm. The lumbar hollow (lordosis) is centred on L3, and the chair
feels it directly: the rollers go deeper there to touch the back. This module finds its centre
from what the sweep sensed:

- **Softer side**: the back is where the rollers meet it with the contact force, less the
  tissue's compression. A tight spot under one roller stiffens that side and makes the back seem
  nearer there; the smaller of the two side forces is the side without it, and its compression
  is undone instead of the mean's (two in three of the body model's tight spots are one-sided).
- **Tissue per region**: thick lumbar muscle compresses more at the same force than the thin
  layer over the ribs, so the compression is undone with the body model's tissue of each region,
  placed by a first estimate of the landmarks (from the shoulder line), not with one typical
  value, which would tilt the profile and pull the hollow's centre downwards.
- **Centre at half depth**: the middle between the points where the hollow is half as deep as at
  its deepest, on either side. It uses the hollow's flanks, where the profile is steep, instead of
  its flat bottom, where the noise decides which point is deepest.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from openchair.body import anthropometry as anthro
from openchair.body.landmarks import REGION_NAMES, REGIONS
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM

FloatArray = npt.NDArray[np.float64]

SEARCH_MM = 110.0
"""How far from the first estimate of L3 the hollow's deepest point is looked for."""
FLANK_MM = 160.0
"""How far either side of the deepest point the hollow's rims are looked for."""
MIN_HOLLOW_MM = 6.0
"""A hollow shallower than this cannot place L3 (the first estimate stands)."""


def tissue_reference_profile(landmarks: Mapping[str, float]) -> FloatArray:
    """(G,) the body model's tissue force scale per region, linear between region centres,
    placed by ``landmarks`` (population-typical tissue: softness 1, no tight spots)."""
    centres = []
    values = []
    for region in REGION_NAMES:
        b = REGIONS[region]
        lo = landmarks[b.lower] + b.lower_offset_mm
        hi = landmarks[b.upper] + b.upper_offset_mm
        centres.append((lo + hi) / 2.0)
        values.append(anthro.TISSUE_REFERENCE_FORCE_N[region])
    order = np.argsort(centres)
    return np.asarray(
        np.interp(GRID_Y_MM, np.asarray(centres)[order], np.asarray(values)[order]),
        dtype=np.float64,
    )


def gap_profile(
    y: FloatArray,
    depth: FloatArray,
    force_soft: FloatArray,
    use: npt.NDArray[np.bool_],
    landmarks: Mapping[str, float],
) -> FloatArray:
    """(G,) estimated distance from the backrest to the skin: the depth less the softer side's
    compression under the region's typical tissue; NaN where the back was not touched."""
    ref = tissue_reference_profile(landmarks)
    idx = np.clip(np.round((y - GRID_Y_MM[0]) / GRID_STEP_MM).astype(int), 0, GRID_Y_MM.size - 1)
    compression = anthro.TISSUE_EXP_LENGTH_MM * np.log1p(np.maximum(force_soft, 0.0) / ref[idx])
    gap = depth - compression
    out = np.full(GRID_Y_MM.size, np.nan)
    if not use.any():
        return out
    sums = np.bincount(idx[use], weights=gap[use], minlength=GRID_Y_MM.size)
    counts = np.bincount(idx[use], minlength=GRID_Y_MM.size)
    seen = counts > 0
    out[seen] = sums[seen] / counts[seen]
    return out


def _crossing(ys: FloatArray, gs: FloatArray, level: float) -> float | None:
    """First ``y`` along ``ys`` where ``gs`` falls to ``level`` (linear between samples)."""
    below = np.flatnonzero(gs <= level)
    if below.size == 0:
        return None
    k = int(below[0])
    if k == 0:
        return float(ys[0])
    g0, g1 = gs[k - 1], gs[k]
    frac = (g0 - level) / (g0 - g1) if g0 != g1 else 0.0
    return float(ys[k - 1] + frac * (ys[k] - ys[k - 1]))


def hollow_centre(profile: FloatArray, expected_l3_mm: float) -> float | None:
    """Centre of the lumbar hollow at half its depth, near ``expected_l3_mm``; None if the hollow
    is too shallow or its rims are not both in the profile."""
    known = np.isfinite(profile)
    if known.sum() < 10:
        return None
    filled = np.interp(GRID_Y_MM, GRID_Y_MM[known], profile[known])
    near = (np.abs(GRID_Y_MM - expected_l3_mm) <= SEARCH_MM) & known
    if near.sum() < 5:
        return None
    j = int(np.flatnonzero(near)[np.argmax(filled[near])])
    peak = float(filled[j])
    dist = GRID_Y_MM - GRID_Y_MM[j]
    lower = (dist >= -FLANK_MM) & (dist <= 0.0) & known
    upper = (dist <= FLANK_MM) & (dist >= 0.0) & known
    if lower.sum() < 3 or upper.sum() < 3:
        return None
    base_lo = float(filled[lower].min())
    base_hi = float(filled[upper].min())
    if peak - max(base_lo, base_hi) < MIN_HOLLOW_MM:
        return None
    ys = GRID_Y_MM
    down = _crossing(ys[lower][::-1], filled[lower][::-1], (peak + base_lo) / 2.0)
    up = _crossing(ys[upper], filled[upper], (peak + base_hi) / 2.0)
    if down is None or up is None:
        return None
    return (down + up) / 2.0


FIT_SHIFT_MM = 60.0
"""How far from the half-depth centre the fitted centre may lie."""
FIT_SIGMA_MM = (20.0, 90.0)
"""Widths of the hollow tried (the body model's: 0.38 × the S1–T12 length, about 35..75 mm)."""
FIT_ROUNDS = 6
ENVELOPE_MM = 0.5
"""Samples this far below the fitted hollow are set aside: stiffer tissue (a tight spot) only
ever makes the back seem nearer, never farther, so the hollow is the profile's upper envelope."""


def hollow_fit(profile: FloatArray, centre_mm: float) -> tuple[float, float] | None:
    """Centre and width of a bell-shaped hollow fitted to the profile's upper envelope near
    ``centre_mm``: least squares over a grid of centres and widths, with depth and base solved
    exactly for each; ``FIT_ROUNDS`` rounds, each setting aside the samples well below the last
    fit."""
    known = np.isfinite(profile)
    window = known & (np.abs(GRID_Y_MM - centre_mm) <= FLANK_MM)
    if window.sum() < 10:
        return None
    ys = GRID_Y_MM[window]
    gs = profile[window]
    inside = gs > float(gs.min()) + 1.0
    cs = np.arange(centre_mm - FIT_SHIFT_MM, centre_mm + FIT_SHIFT_MM + 0.5, 1.0)
    ss = np.arange(FIT_SIGMA_MM[0], FIT_SIGMA_MM[1] + 0.5, 2.0)
    basis = np.exp(
        -0.5 * ((ys[None, None, :] - cs[:, None, None]) / ss[None, :, None]) ** 2
    ).reshape(cs.size * ss.size, ys.size)
    basis2 = basis**2
    best: tuple[float, float] | None = None
    for _ in range(FIT_ROUNDS):
        w = inside.astype(np.float64)
        n = float(w.sum())
        if n < 6:
            return best
        # Least squares of gs ≈ a·basis + b over the used samples, for every (centre, width),
        # from the weighted sums (one matrix-vector product each).
        sx = basis @ w
        sxx = basis2 @ w
        sxy = basis @ (gs * w)
        sy = float(gs @ w)
        syy = float((gs * gs) @ w)
        det = n * sxx - sx**2
        with np.errstate(divide="ignore", invalid="ignore"):
            a = (n * sxy - sx * sy) / det
            b = (sy - a * sx) / n
            sse = syy - a * sxy - b * sy
        sse = np.where(np.isfinite(sse) & (a > 0), sse, np.inf)
        k = int(np.argmin(sse))
        if not np.isfinite(sse[k]):
            return best
        best = (float(cs[k // ss.size]), float(ss[k % ss.size]))
        fitted = a[k] * basis[k] + b[k]
        inside = inside & (gs >= fitted - ENVELOPE_MM)
    return best
