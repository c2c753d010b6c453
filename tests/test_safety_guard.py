"""The service guard holds the self-test's frames to the hard limits."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import ChairDescription, Commands
from openchair.hardware.twin import TwinChair
from openchair.safety.guard import ServiceGuard
from openchair.safety.limits import DEFAULT_LIMITS as LIM

DESC = ChairDescription()


def guard() -> tuple[ServiceGuard, TwinChair]:
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    return ServiceGuard(twin), twin


values = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=100, deadline=None)
@given(depth=values, heat=values, air=values, y=values, temp=st.floats(-50, 160))
def test_any_frame_leaves_the_guard_valid_and_within_the_hard_limits(
    depth: float, heat: float, air: float, y: float, temp: float
) -> None:
    g, _ = guard()
    r = g.read(0.0)
    r.heater_temp_c[:] = temp
    f = dataclasses.replace(
        Commands.safe(DESC, 1),
        depth_target_mm=np.array([depth]),
        heater_target_c=np.full((1, DESC.n_heaters), heat),
        air_pressure_target_kpa=np.full((1, DESC.n_air_zones), air),
        carriage_y_target_mm=np.array([y]),
    )
    out = g.guard(f, r)
    out.validate(DESC)
    assert out.depth_target_mm[0] <= LIM.roller_depth_hard_max_mm
    assert np.all(out.heater_target_c <= LIM.heater_target_max_c)
    assert np.all(out.air_pressure_target_kpa <= LIM.air_pressure_max_kpa)
    if temp >= LIM.heater_surface_max_c:
        assert np.all(out.heater_target_c == 0)


def test_stop_button_latches_the_safe_state_and_hard_force_backs_off() -> None:
    g, twin = guard()
    f = Commands.safe(DESC, 1)
    f.depth_target_mm[:] = 80.0
    f.knead_speed_cpm[:] = 40.0
    r = g.read(0.0)
    r.force_left_n[:] = 160.0
    r.depth_mm[:] = 60.0
    assert g.guard(f, r).depth_target_mm[0] == 50.0
    twin.press_stop_button()
    g.write(f, 0.01)
    g.read(0.02)
    twin.press_stop_button(False)
    out = g.guard(f, g.read(0.03))
    assert out.depth_target_mm[0] == 0.0 and out.knead_speed_cpm[0] == 0.0


BAD = st.sampled_from([float("nan"), float("inf"), float("-inf")])
READING_FIELDS = (
    "force_left_n",
    "force_right_n",
    "heater_temp_c",
    "air_pressure_kpa",
    "carriage_y_mm",
    "depth_mm",
    "backrest_angle_deg",
    "legrest_angle_deg",
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(READING_FIELDS), bad=BAD)
def test_a_reading_that_is_not_a_number_is_taken_as_the_worst_case(field: str, bad: float) -> None:
    g, _ = guard()
    f = Commands.safe(DESC, 1)
    f.depth_target_mm[:] = 40.0
    f.heater_target_c[:] = 40.0
    f.air_pressure_target_kpa[:] = 20.0
    first = g.read(0.0)  # a finite reading first: where the chair was last seen
    seen_y = float(first.carriage_y_mm[0])
    g.guard(f, first)
    r = g.read(0.02)
    getattr(r, field)[...] = bad
    out = g.guard(f, r)
    out.validate(DESC)  # never a frame the driver refuses
    if field.startswith("force"):
        assert out.depth_target_mm[0] == 0.0, "a force it cannot read retracts the rollers"
    elif field == "heater_temp_c":
        assert np.all(out.heater_target_c == 0.0)
    elif field == "air_pressure_kpa":
        assert np.all(out.air_pressure_target_kpa == 0.0)
    else:
        assert g.unreadable[0] and g.stopped[0], "a position it cannot read stops the chair"
        assert out.depth_target_mm[0] == 0.0
        assert (
            out.carriage_y_target_mm[0]
            == np.clip(seen_y, DESC.carriage_y_min_mm, DESC.carriage_y_max_mm)
            or field != "carriage_y_mm"
        )
