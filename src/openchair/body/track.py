"""The roller track as a grid: where per-position profiles live and how they are looked up.

Every profile along the back (the body's gap and tissue, the person's comfortable depth and
comfort force) is sampled on the same 5 mm grid, so looking a value up at each chair's own
position is one vectorised index, with no loop over chairs.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

GRID_STEP_MM: Final[float] = 5.0
GRID_Y_MM: Final[FloatArray] = np.arange(-550.0, 800.0 + GRID_STEP_MM / 2, GRID_STEP_MM)
"""The track from under the thighs to above the shoulders, every 5 mm."""


def grid_position(y_mm: FloatArray) -> tuple[IntArray, FloatArray]:
    """Index of the grid point at or below each ``y`` and the fraction towards the next one."""
    pos = np.clip((y_mm - GRID_Y_MM[0]) / GRID_STEP_MM, 0.0, GRID_Y_MM.size - 1.000001)
    i0 = pos.astype(np.intp)
    return i0, pos - i0


def sample_linear(grid: FloatArray, y_mm: FloatArray) -> FloatArray:
    """``grid`` (N, G) at each row's own ``y_mm`` (N,), linearly interpolated."""
    i0, frac = grid_position(y_mm)
    rows = np.arange(grid.shape[0])
    lo = grid[rows, i0]
    return np.asarray(lo + (grid[rows, i0 + 1] - lo) * frac, dtype=np.float64)


def sample_cautious(grid: FloatArray, y_mm: FloatArray) -> FloatArray:
    """The smaller of the two grid values around each ``y``: a limit is never interpolated past."""
    i0, _ = grid_position(y_mm)
    rows = np.arange(grid.shape[0])
    return np.asarray(np.minimum(grid[rows, i0], grid[rows, i0 + 1]), dtype=np.float64)
