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
