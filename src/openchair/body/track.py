"""The roller track as a grid: where per-position profiles live and how they are looked up.

Every profile along the back (the body's gap and tissue, the person's comfortable depth and
comfort force) is sampled on the same 5 mm grid, so looking a value up at each chair's own
position is one vectorised index, with no loop over chairs.

These lookups run several times per control tick for every chair, so they index the flattened
profiles with ``take`` (about twice as fast as two-dimensional fancy indexing for N = 1000, and
seven times for (N, G, 2) arrays) and clip without ``np.clip``'s Python wrapper; the values are
the same.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

GRID_STEP_MM: Final[float] = 5.0
GRID_Y_MM: Final[FloatArray] = np.arange(-550.0, 800.0 + GRID_STEP_MM / 2, GRID_STEP_MM)
"""The track from under the thighs to above the shoulders, every 5 mm."""

_LAST_POSITION: Final[float] = GRID_Y_MM.size - 1.000001


def _position(y_mm: FloatArray) -> FloatArray:
    """Each ``y`` in grid steps from the first point, kept inside the grid."""
    pos = np.minimum(np.maximum((y_mm - GRID_Y_MM[0]) / GRID_STEP_MM, 0.0), _LAST_POSITION)
    return np.asarray(pos, dtype=np.float64)


def grid_position(y_mm: FloatArray) -> tuple[IntArray, FloatArray]:
    """Index of the grid point at or below each ``y`` and the fraction towards the next one."""
    pos = _position(y_mm)
    i0 = pos.astype(np.intp)
    return i0, pos - i0


def grid_cell(y_mm: FloatArray) -> IntArray:
    """Index of the grid point at or below each ``y`` (``grid_position`` without the fraction)."""
    return _position(y_mm).astype(np.intp)


@cache
def _row_starts(rows: int, row_length: int) -> IntArray:
    starts = np.arange(rows, dtype=np.intp) * row_length
    starts.flags.writeable = False
    return starts


def flat_index(grid: npt.NDArray[np.generic], i0: IntArray) -> IntArray:
    """Where each row's grid point ``i0`` is in ``grid`` (N, G, ...) seen as (N·G, ...): the
    index for ``grid.reshape(n * g, ...).take(index, axis=0)``."""
    return _row_starts(grid.shape[0], grid.shape[1]) + i0


def _at(grid: FloatArray, index: IntArray) -> FloatArray:
    return np.asarray(grid.reshape(-1).take(index), dtype=np.float64)


def sample_linear(grid: FloatArray, y_mm: FloatArray) -> FloatArray:
    """``grid`` (N, G) at each row's own ``y_mm`` (N,), linearly interpolated."""
    i0, frac = grid_position(y_mm)
    index = flat_index(grid, i0)
    lo = _at(grid, index)
    return np.asarray(lo + (_at(grid, index + 1) - lo) * frac, dtype=np.float64)


def sample_cautious(grid: FloatArray, y_mm: FloatArray) -> FloatArray:
    """The smaller of the two grid values around each ``y``: a limit is never interpolated past."""
    index = flat_index(grid, grid_cell(y_mm))
    return np.asarray(np.minimum(_at(grid, index), _at(grid, index + 1)), dtype=np.float64)
