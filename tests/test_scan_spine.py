"""Finding the lumbar hollow's centre in a back profile: on the hollow itself, and past the dips
that stiff tissue makes."""

from __future__ import annotations

import numpy as np

from openchair.body.track import GRID_Y_MM
from openchair.scan.spine import hollow_centre, hollow_fit


def _hollow(centre: float, sigma: float, depth: float = 30.0, padding: float = 4.0) -> np.ndarray:
    """A back like the body model's: the hollow less some padding, resting on the backrest."""
    bell = depth * np.exp(-0.5 * ((GRID_Y_MM - centre) / sigma) ** 2)
    profile = 4.0 + np.maximum(bell - padding, 0.0)
    profile[GRID_Y_MM < 0] = np.nan  # the seat: not swept
    return np.asarray(profile, dtype=np.float64)


def test_centre_of_a_clean_hollow_is_found_from_a_rough_start() -> None:
    for centre, sigma in ((230.0, 70.0), (265.0, 85.0), (300.0, 60.0)):
        profile = _hollow(centre, sigma)
        start = hollow_centre(profile, centre + 40.0)
        assert start is not None and abs(start - centre) < 3.0
        fit = hollow_fit(profile, start)
        assert fit is not None and abs(fit[0] - centre) <= 1.0


def test_a_stiff_spot_on_the_flank_does_not_pull_the_centre() -> None:
    centre = 250.0
    profile = _hollow(centre, 75.0)
    # Stiffer tissue makes the back seem nearer: a dip of 6 mm, 20 mm wide, on the upper flank.
    profile -= 6.0 * np.exp(-0.5 * ((GRID_Y_MM - (centre + 60.0)) / 20.0) ** 2)
    start = hollow_centre(profile, centre)
    fit = hollow_fit(profile, start if start is not None else centre)
    assert start is not None and fit is not None
    assert abs(fit[0] - centre) < 5.0 < abs(start - centre)


def test_no_hollow_places_nothing() -> None:
    flat = np.where(GRID_Y_MM >= 0, 4.0, np.nan)
    assert hollow_centre(flat, 250.0) is None
    assert hollow_centre(np.full(GRID_Y_MM.size, np.nan), 250.0) is None
