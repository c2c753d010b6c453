"""The driver contract: safe frames are in range, bad frames are refused with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openchair.hardware.contract import ChairDescription, CommandRangeError, Commands

DESC = ChairDescription()


def test_safe_frame_is_valid_and_safe() -> None:
    frame = Commands.safe(DESC, 3, carriage_y_mm=np.array([10.0, 200.0, -300.0]))
    frame.validate(DESC)
    assert np.all(frame.depth_target_mm == 0)
    assert np.all(frame.carriage_speed_limit_mm_s == 0)
    assert np.all(frame.knead_speed_cpm == 0) and np.all(frame.tap_rate_hz == 0)
    assert np.all(frame.air_pressure_target_kpa == 0)
    assert np.all(frame.heater_target_c == 0)
    assert np.all(frame.foot_roller_level == 0)
    # The carriage holds where it is instead of travelling somewhere on its own.
    assert frame.carriage_y_target_mm.tolist() == [10.0, 200.0, -300.0]


def test_out_of_range_field_names_field_chair_and_range() -> None:
    frame = Commands.safe(DESC, 4)
    frame.depth_target_mm[2] = 130.0
    with pytest.raises(
        CommandRangeError, match=r"depth_target_mm: chair 2: 130 is outside 0\.\.120"
    ):
        frame.validate(DESC)


def test_air_zone_column_named_in_error() -> None:
    frame = Commands.safe(DESC, 1)
    frame.air_pressure_target_kpa[0, 4] = 60.0
    with pytest.raises(CommandRangeError, match="air_pressure_target_kpa: chair 0, column 4"):
        frame.validate(DESC)


def test_nan_and_wrong_batch_are_refused() -> None:
    frame = Commands.safe(DESC, 2)
    frame.width_target_mm[1] = np.nan
    with pytest.raises(CommandRangeError, match="not a finite number"):
        frame.validate(DESC)
    frame = Commands.safe(DESC, 2)
    frame.tap_rate_hz = np.zeros(3)
    with pytest.raises(CommandRangeError, match="batch dimension is 3"):
        frame.validate(DESC)


def test_unknown_zone_and_heater_names_list_the_known_ones() -> None:
    with pytest.raises(ValueError, match="shoulder_left"):
        DESC.air_zone_index("elbow")
    with pytest.raises(ValueError, match="back, calves"):
        DESC.heater_index("neck")


@given(
    depth=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    chair=st.integers(min_value=0, max_value=4),
)
def test_validation_accepts_exactly_the_chair_range(depth: float, chair: int) -> None:
    frame = Commands.safe(DESC, 5)
    frame.depth_target_mm[chair] = depth
    if 0.0 <= depth <= DESC.depth_max_mm:
        frame.validate(DESC)
    else:
        with pytest.raises(CommandRangeError):
            frame.validate(DESC)


def test_select_and_copy_are_independent() -> None:
    frame = Commands.safe(DESC, 3)
    part = frame.select(np.array([0, 2]))
    assert part.batch_size == 2
    part.depth_target_mm[0] = 50.0
    clone = frame.copy()
    clone.depth_target_mm[1] = 20.0
    assert frame.depth_target_mm.tolist() == [0.0, 0.0, 0.0]
