"""Motion primitives: how each technique moves the rollers over step-local time.

Every primitive takes the step's plan and the time since the step began (one number for the whole
batch) and returns per-chair arrays: where the carriage should be, how fast it may go, and a depth
scale in [0, 1] that multiplies the step's depth. Zones differ per person, so positions are arrays.

Parameters (documented in docs/PROGRAMS.md):
- rolling sweep: the carriage sweeps the zone up and down at ``ROLL_SPEED_MM_S[speed]``, or fast
  enough to make ``passes`` one-way passes in the step.
- kneading circle: the kneading motor turns at ``KNEAD_CPM[speed]`` while the carriage travels the
  zone slowly (``TRAVEL_SPEED_MM_S[speed]``); a zone smaller than 30 mm is worked in place.
- tapping train: the tapping motor strikes at ``TAP_HZ[speed]`` while travelling like kneading.
- shiatsu press-and-hold: points every ``SHIATSU_SPACING_MM`` along the zone; at each the carriage
  moves (1 s), the rollers press in (1 s), hold (``dwell_seconds``) and release (1 s).
- lingering: for the last ``linger`` share of a step, press-and-hold on each tight spot of the
  person's map inside the zone in turn (chairs with no spot there keep the step's own motion).
- rhythm ("4D"): ``wave`` makes a pass slow-fast-slow, ``pulse`` gives four surges per pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

ROLL_SPEED_MM_S = {1: 10.0, 2: 20.0, 3: 30.0, 4: 45.0, 5: 60.0}
TRAVEL_SPEED_MM_S = {1: 4.0, 2: 6.0, 3: 8.0, 4: 10.0, 5: 12.0}
KNEAD_CPM = {1: 12.0, 2: 24.0, 3: 36.0, 4: 48.0, 5: 60.0}
TAP_HZ = {1: 2.4, 2: 4.8, 3: 7.2, 4: 9.6, 5: 12.0}
SHIATSU_SPACING_MM = 40.0
SHIATSU_MOVE_S = 1.0
SHIATSU_RAMP_S = 1.0
CARRIAGE_MAX_MM_S = 60.0
RHYTHM_WARP = {"steady": 0.0, "wave": 0.6, "pulse": 0.6}


@dataclass(frozen=True)
class Motion:
    carriage_y_mm: FloatArray
    speed_limit_mm_s: FloatArray
    depth_scale: FloatArray


def _triangle(u: FloatArray) -> FloatArray:
    """0 → 1 → 0 over two units of ``u``: up the zone, then back down."""
    return np.asarray(1.0 - np.abs(np.mod(u, 2.0) - 1.0), dtype=np.float64)


def _warp(p: FloatArray, rhythm: str) -> FloatArray:
    a = RHYTHM_WARP[rhythm]
    if a == 0.0:
        return p
    cycles = 1.0 if rhythm == "wave" else 4.0
    # Monotone for a < 1: the carriage slows and surges without ever reversing mid-pass.
    return np.asarray(
        p - a * np.sin(2 * np.pi * cycles * p) / (2 * np.pi * cycles), dtype=np.float64
    )


def sweep(
    lo: FloatArray,
    hi: FloatArray,
    tau_s: float,
    speed_mm_s: FloatArray,
    rhythm: str,
) -> Motion:
    """Up and down the zone at ``speed_mm_s`` (per chair)."""
    span = np.maximum(hi - lo, 1.0)
    p = _warp(_triangle(speed_mm_s * tau_s / span), rhythm)
    limit = np.minimum(CARRIAGE_MAX_MM_S, speed_mm_s * (1.0 + 2.0 * RHYTHM_WARP[rhythm]) + 5.0)
    return Motion(lo + span * p, limit, np.ones_like(lo))


def pass_speed(lo: FloatArray, hi: FloatArray, seconds: float, passes: int) -> FloatArray:
    """Speed that makes ``passes`` one-way passes of the zone in ``seconds``."""
    return np.asarray(
        np.clip((hi - lo) * passes / seconds, 1.0, CARRIAGE_MAX_MM_S), dtype=np.float64
    )


def shiatsu(lo: FloatArray, hi: FloatArray, tau_s: float, dwell_s: float) -> Motion:
    """Press-and-hold at points along the zone, bottom to top, then again."""
    period = SHIATSU_MOVE_S + 2 * SHIATSU_RAMP_S + dwell_s
    k = int(tau_s // period)
    s = tau_s - k * period
    count = np.floor(np.maximum(hi - lo, 0.0) / SHIATSU_SPACING_MM).astype(np.int64) + 1
    y = np.minimum(lo + (k % count) * SHIATSU_SPACING_MM, hi)
    if s < SHIATSU_MOVE_S:
        scale = 0.0
    elif s < SHIATSU_MOVE_S + SHIATSU_RAMP_S:
        scale = (s - SHIATSU_MOVE_S) / SHIATSU_RAMP_S
    elif s < SHIATSU_MOVE_S + SHIATSU_RAMP_S + dwell_s:
        scale = 1.0
    else:
        scale = max(0.0, 1.0 - (s - SHIATSU_MOVE_S - SHIATSU_RAMP_S - dwell_s) / SHIATSU_RAMP_S)
    n = lo.shape[0]
    return Motion(y, np.full(n, CARRIAGE_MAX_MM_S), np.full(n, scale))


def park(lo: FloatArray) -> Motion:
    """Rollers retracted at the bottom of the zone (air- or heat-only steps)."""
    n = lo.shape[0]
    return Motion(lo.copy(), np.full(n, 30.0), np.zeros(n))


def linger(
    spots: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    tau_s: float,
    dwell_s: float,
    otherwise: Motion,
) -> Motion:
    """Press-and-hold on each chair's tight spots (N, K, NaN-padded) in turn."""
    count = np.isfinite(spots).sum(axis=1)
    period = SHIATSU_MOVE_S + 2 * SHIATSU_RAMP_S + dwell_s
    k = int(tau_s // period)
    s = tau_s - k * period
    index = np.where(count > 0, k % np.maximum(count, 1), 0)
    y = spots[np.arange(spots.shape[0]), index]
    press = shiatsu(lo, hi, s, dwell_s).depth_scale
    has = count > 0
    return Motion(
        np.where(has, np.clip(np.nan_to_num(y, nan=0.0), lo, hi), otherwise.carriage_y_mm),
        np.where(has, CARRIAGE_MAX_MM_S, otherwise.speed_limit_mm_s),
        np.where(has, press, otherwise.depth_scale),
    )
