"""Each safety rule reacts as docs/SAFETY.md says; any frame in gives a safe frame out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch, grid_index
from openchair.body.model import BodyParams
from openchair.hardware.contract import BoardFault, ChairDescription, Commands, Readings
from openchair.safety import supervisor as sv
from openchair.safety.limits import DEFAULT_LIMITS as LIM
from openchair.safety.supervisor import SafetySupervisor

DESC = ChairDescription()
MAPS: BodyMapBatch = BodyBatch.from_params(
    [BodyParams.from_percentile(50, "male"), BodyParams.from_percentile(5, "female")]
).true_maps()
N = MAPS.batch_size


def readings(t: float = 0.0, **over: object) -> Readings:
    base = dict(
        time_s=t,
        carriage_y_mm=np.full(N, 250.0),
        depth_mm=np.full(N, 30.0),
        width_mm=np.full(N, 70.0),
        force_left_n=np.full(N, 10.0),
        force_right_n=np.full(N, 10.0),
        shoulder_sensor=np.zeros(N, dtype=bool),
        air_pressure_kpa=np.zeros((N, DESC.n_air_zones)),
        # A live sensor's last bits always move (a reading frozen to the bit is a fault).
        heater_temp_c=np.full((N, DESC.n_heaters), 30.0 + 0.02 * ((t * 7.3) % 1.0)),
        backrest_angle_deg=np.full(N, 120.0),
        legrest_angle_deg=np.full(N, 30.0),
        backrest_current_a=np.full(N, 0.05),
        legrest_current_a=np.full(N, 0.05),
        occupied=np.ones(N, dtype=bool),
        stop_button=np.zeros(N, dtype=bool),
        fault_flags=np.zeros(N, dtype=np.int64),
    )
    base.update(over)
    return Readings(**base)  # type: ignore[arg-type]


def program_frame() -> Commands:
    f = Commands.safe(DESC, N)
    f.carriage_y_target_mm[:] = 260.0
    f.carriage_speed_limit_mm_s[:] = 30.0
    f.depth_target_mm[:] = 40.0
    f.knead_speed_cpm[:] = 30.0
    f.air_pressure_target_kpa[:, 4] = 20.0
    f.heater_target_c[:, 0] = 40.0
    f.backrest_angle_target_deg[:] = 130.0
    f.legrest_angle_target_deg[:] = 40.0
    return f


def is_safe(frame: Commands, chair: int) -> bool:
    return bool(
        frame.depth_target_mm[chair] == 0
        and frame.carriage_speed_limit_mm_s[chair] == 0
        and frame.knead_speed_cpm[chair] == 0
        and frame.tap_rate_hz[chair] == 0
        and np.all(frame.air_pressure_target_kpa[chair] == 0)
        and np.all(frame.heater_target_c[chair] == 0)
        and frame.foot_roller_level[chair] == 0
    )


def rules(sup: SafetySupervisor) -> list[tuple[int, str]]:
    return [(e.chair, e.rule) for e in sup.events]


def test_stop_button_gives_the_safe_state_in_the_same_tick_and_latches_until_reset() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    pressed = np.array([False, True])
    out = sup.filter(program_frame(), readings(stop_button=pressed), 0.0)
    assert is_safe(out, 1) and not is_safe(out, 0)
    # Carriage and recline hold where they are: nothing moves on its own.
    assert out.carriage_y_target_mm[1] == 250.0 and out.backrest_angle_target_deg[1] == 120.0
    out = sup.filter(program_frame(), readings(0.01), 0.01)  # button released: still latched
    assert is_safe(out, 1)
    assert rules(sup) == [(1, sv.STOP_BUTTON)]
    sup.reset([1])
    assert not is_safe(sup.filter(program_frame(), readings(0.02), 0.02), 1)


def test_remote_stop_and_board_and_loop_faults_latch_the_safe_state() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    sup.stop([0], now_s=0.0)
    assert is_safe(sup.filter(program_frame(), readings(), 0.0), 0)
    sup = SafetySupervisor(DESC, MAPS)
    flags = np.array([0, int(BoardFault.WATCHDOG)], dtype=np.int64)
    assert is_safe(sup.filter(program_frame(), readings(fault_flags=flags), 0.0), 1)
    assert sup.latched_rule == [None, sv.BOARD_WATCHDOG]
    sup = SafetySupervisor(DESC, MAPS)
    out = sup.filter(program_frame(), readings(t=0.0), 0.5)  # readings 0.5 s old
    assert is_safe(out, 0) and sup.latched_rule[0] == sv.DRIVER_LOST
    sup = SafetySupervisor(DESC, MAPS)
    sup.note_tick_lateness(0.2)
    assert is_safe(sup.filter(program_frame(), readings(), 0.0), 0)
    assert sup.latched_rule == [sv.CONTROL_DEADLINE] * 2


def test_force_above_comfort_backs_the_depth_off_at_once() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    y = np.full(N, 250.0)
    comfort = sup.comfort_force_at(y)
    force = comfort + 5.0
    out = sup.filter(program_frame(), readings(force_left_n=force, depth_mm=np.full(N, 35.0)), 0.0)
    assert np.all(out.depth_target_mm <= 35.0 - sv.FORCE_BACKOFF_MM + 1e-9)
    assert {r for _, r in rules(sup)} == {sv.ROLLER_FORCE}


def test_neck_gets_only_light_force_and_hard_limit_always_holds() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    neck_y = MAPS.landmark_y_mm("C7") + 40
    assert np.all(sup.comfort_force_at(neck_y) <= LIM.neck_force_max_n)
    assert np.all(sup.comfort_force_at(np.full(N, 250.0)) <= LIM.roller_force_hard_max_n)


def test_depth_is_clamped_to_the_comfortable_depth_and_120_mm() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    f = program_frame()
    f.depth_target_mm[:] = 120.0
    out = sup.filter(f, readings(), 0.0)
    allowed = np.minimum(
        sup.comfortable_depth_at(np.full(N, 250.0)), sup.comfortable_depth_at(np.full(N, 260.0))
    )
    assert np.all(out.depth_target_mm <= allowed + 1e-9) and np.all(out.depth_target_mm < 120)
    assert sv.ROLLER_DEPTH in {r for _, r in rules(sup)}


def test_heater_target_capped_off_above_43_and_broken_sensors_disable_it() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    f = program_frame()
    f.heater_target_c[:, 0] = 45.0
    out = sup.filter(f, readings(), 0.0)
    assert np.all(out.heater_target_c[:, 0] == LIM.heater_target_max_c)
    temps = np.array([[43.2, 30.0], [30.0, 30.0]])
    out = sup.filter(program_frame(), readings(0.01, heater_temp_c=temps), 0.01)
    assert out.heater_target_c[0, 0] == 0.0 and out.heater_target_c[1, 0] == 40.0
    sup = SafetySupervisor(DESC, MAPS)
    temps = np.array([[-40.0, 30.0], [150.0, 30.0]])
    for k in range(3):
        out = sup.filter(program_frame(), readings(k * 0.01, heater_temp_c=temps), k * 0.01)
    assert np.all(out.heater_target_c[:, 0] == 0.0)
    assert rules(sup).count((0, sv.HEATER_SENSOR)) == 1 and (1, sv.HEATER_SENSOR) in rules(sup)


def test_a_stuck_heater_sensor_and_an_unexplained_rise_are_faults() -> None:
    # A board without heater current sensing: the reading alone tells.
    no_current = ChairDescription(heater_current_a=0.0)
    sup = SafetySupervisor(no_current, MAPS)
    t = 0.0
    while t < LIM.heater_sensor_stuck_s + 1:
        out = sup.filter(program_frame(), readings(t), t)
        t += 0.5
    assert np.all(out.heater_target_c[:, 0] == 0.0)
    assert (0, sv.HEATER_STUCK_SENSOR) in rules(sup)
    # ... and a heater it can no longer see is a heater it no longer supervises: power off.
    assert sup.latched_rule == [sv.HEATER_UNSUPERVISED] * N
    assert is_safe(out, 0) and not out.supply_off.any()  # the rollers (at 30 mm) retract first
    latched_s = max(e.time_s for e in sup.events if e.rule == sv.HEATER_UNSUPERVISED)
    while t < latched_s + sv.SUPPLY_CUT_GRACE_S + 0.5:
        out = sup.filter(program_frame(), readings(t), t)
        t += 0.5
    assert out.supply_off.all()  # ... and 5 s later, whether or not they did
    # Heater commanded off, yet warming 0.15 °C/s: a relay stuck on.
    sup = SafetySupervisor(no_current, MAPS)
    f = program_frame()
    f.heater_target_c[:] = 0.0
    t = 0.0
    while t < 60.0:
        temps = readings(t).heater_temp_c
        temps[0, 0] += max(0.0, t - 20) * 0.15
        out = sup.filter(f, readings(t, heater_temp_c=temps), t)
        t += 0.5
    assert sup.latched_rule == [sv.HEATER_RUNAWAY, None]
    assert is_safe(out, 0)
    # The heater that does not obey loses its power once the rollers are in (5 s at most).
    assert out.supply_off.tolist() == [True, False]


def test_heater_current_shows_a_relay_stuck_on_a_frozen_reading_and_a_lost_heater() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    off = program_frame()
    off.heater_target_c[:] = 0.0
    h = DESC.n_heaters
    current = np.zeros((N, h))
    current[0, 1] = DESC.heater_current_a  # the calves' relay of chair 0 conducts
    t = 0.0
    while t < 0.5:
        r = readings(t, heater_current_a=current, depth_mm=np.zeros(N))
        out = sup.filter(off, r, t)
        t += 0.01
    assert sup.latched_rule == [sv.HEATER_RELAY_STUCK, None]
    assert out.supply_off.tolist() == [True, False]  # rollers are in: power off at once
    # A reading with the same bits for 10 s: that heater is off for the session.
    sup = SafetySupervisor(DESC, MAPS)
    on = np.zeros((N, h))
    on[:, 0] = DESC.heater_current_a  # the back heater is on, as commanded
    t = 0.0
    while t < sv.HEATER_SENSOR_FROZEN_S + 0.5:
        temps = readings(t).heater_temp_c
        temps[1, 0] = 35.0
        out = sup.filter(program_frame(), readings(t, heater_temp_c=temps, heater_current_a=on), t)
        t += 0.1
    frozen = [chair for chair, rule in rules(sup) if rule == sv.HEATER_SENSOR_FROZEN]
    assert frozen == [1]
    assert out.heater_target_c[1, 0] == 0.0 and out.heater_target_c[0, 0] == 40.0
    assert not sup.latched.any()  # the current still shows whether it obeys: no need to stop
    # Driven far above its reading, yet no current: its cut-out opened.
    cold = on.copy()
    cold[0, 0] = 0.0
    while t < sv.HEATER_SENSOR_FROZEN_S + 3.0:
        out = sup.filter(program_frame(), readings(t, heater_current_a=cold), t)
        t += 0.1
    assert (0, sv.HEATER_NO_CURRENT) in rules(sup) and out.heater_target_c[0, 0] == 0.0


def test_air_over_45_kpa_vents_and_no_valve_inflates_longer_than_10_s() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    p = np.zeros((N, DESC.n_air_zones))
    p[0, 4] = 46.0
    out = sup.filter(program_frame(), readings(air_pressure_kpa=p), 0.0)
    assert np.all(out.air_pressure_target_kpa[0] == 0.0)
    sup = SafetySupervisor(DESC, MAPS)
    t = 0.0
    vented_at = None
    while t < 12.0:
        out = sup.filter(program_frame(), readings(t), t)  # pressure never rises
        if vented_at is None and out.air_pressure_target_kpa[0, 4] == 0.0:
            vented_at = t
        t += 0.1
    assert vented_at is not None and 10.0 < vented_at <= 10.2
    assert (0, sv.AIR_VALVE_TIME) in rules(sup)


def test_session_auto_off_after_30_minutes() -> None:
    sup = SafetySupervisor(DESC, MAPS, session_start_s=100.0)
    t = 100.0 + LIM.session_auto_off_s - 0.01
    sup.filter(program_frame(), readings(t), t)
    assert not sup.finish_requested.any()
    t += 0.02
    sup.filter(program_frame(), readings(t), t)
    assert sup.finish_requested.all()


def test_nobody_seated_pauses_then_stops() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    empty = np.array([False, True])
    out = sup.filter(program_frame(), readings(0.0, occupied=empty), 0.0)
    assert out.depth_target_mm[0] == 0.0 and out.carriage_speed_limit_mm_s[0] == 0.0
    assert sup.latched_rule == [None, None]
    out = sup.filter(
        program_frame(), readings(LIM.unoccupied_stop_s, occupied=empty), LIM.unoccupied_stop_s
    )
    assert sup.latched_rule == [sv.OCCUPANCY_STOP, None]
    # Someone who comes back in time resumes.
    sup = SafetySupervisor(DESC, MAPS)
    sup.filter(program_frame(), readings(0.0, occupied=empty), 0.0)
    out = sup.filter(program_frame(), readings(5.0), 5.0)
    assert out.depth_target_mm[0] > 0


def test_recline_current_spike_stops_and_reverses_briefly() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    f = program_frame()
    f.legrest_angle_target_deg[:] = 0.0  # lowering from 30°
    spike = np.array([4.5, 0.05])
    out = sup.filter(f, readings(0.0, legrest_current_a=spike), 0.0)
    assert out.legrest_angle_target_deg[0] == pytest.approx(32.0)  # backs up 2°
    assert out.legrest_angle_target_deg[1] == 0.0
    out = sup.filter(
        f,
        readings(LIM.recline_reverse_s + 0.1, legrest_angle_deg=np.full(N, 32.0)),
        LIM.recline_reverse_s + 0.1,
    )
    assert out.legrest_angle_target_deg[0] == pytest.approx(32.0)  # then holds there
    assert (0, sv.RECLINE_OBSTRUCTION) in rules(sup)


def test_impossible_encoder_jump_and_silent_force_sensing_are_faults() -> None:
    sup = SafetySupervisor(DESC, MAPS)
    sup.filter(program_frame(), readings(0.0), 0.0)
    out = sup.filter(program_frame(), readings(0.01, carriage_y_mm=np.array([450.0, 250.5])), 0.01)
    assert is_safe(out, 0) and sup.latched_rule == [sv.ENCODER_JUMP, None]
    sup = SafetySupervisor(DESC, MAPS)
    # Past the depth at which the scan felt the back, by more than the margin and the stroke.
    contact = MAPS.contact_depth_mm[:, grid_index(250.0)]
    deep = contact + sv.SILENT_CONTACT_MM + DESC.knead_depth_amplitude_mm + 2.0
    zero = np.zeros(N)
    t = 0.0
    while t <= sv.SILENT_FORCE_S + 0.02:
        out = sup.filter(
            program_frame(), readings(t, depth_mm=deep, force_left_n=zero, force_right_n=zero), t
        )
        t += 0.01
    assert sup.latched_rule == [sv.FORCE_SENSOR_SILENT] * 2


finite = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=150, deadline=None)
@given(
    y=finite,
    speed=finite,
    depth=finite,
    width=finite,
    knead=finite,
    tap=finite,
    air=finite,
    heat=finite,
    back=finite,
    leg=finite,
    force=st.floats(0, 400),
    temp=st.floats(-60, 160),
    pressure=st.floats(0, 60),
    stop=st.booleans(),
    occupied=st.booleans(),
)
def test_any_frame_in_gives_a_valid_frame_within_every_limit_out(
    y: float,
    speed: float,
    depth: float,
    width: float,
    knead: float,
    tap: float,
    air: float,
    heat: float,
    back: float,
    leg: float,
    force: float,
    temp: float,
    pressure: float,
    stop: bool,
    occupied: bool,
) -> None:
    sup = SafetySupervisor(DESC, MAPS)
    f = Commands.safe(DESC, N)
    f = dataclasses.replace(
        f,
        carriage_y_target_mm=np.full(N, y),
        carriage_speed_limit_mm_s=np.full(N, speed),
        depth_target_mm=np.full(N, depth),
        width_target_mm=np.full(N, width),
        knead_speed_cpm=np.full(N, knead),
        tap_rate_hz=np.full(N, tap),
        air_pressure_target_kpa=np.full((N, DESC.n_air_zones), air),
        heater_target_c=np.full((N, DESC.n_heaters), heat),
        backrest_angle_target_deg=np.full(N, back),
        legrest_angle_target_deg=np.full(N, leg),
    )
    r = readings(
        force_left_n=np.full(N, force),
        heater_temp_c=np.full((N, DESC.n_heaters), temp),
        air_pressure_kpa=np.full((N, DESC.n_air_zones), pressure),
        stop_button=np.full(N, stop),
        occupied=np.full(N, occupied),
    )
    out = sup.filter(f, r, 0.0)
    out.validate(DESC)
    comfortable = sup.comfortable_depth_at(r.carriage_y_mm)
    assert np.all(
        out.depth_target_mm <= np.minimum(comfortable, LIM.roller_depth_hard_max_mm) + 1e-9
    )
    assert np.all(out.heater_target_c <= LIM.heater_target_max_c)
    assert np.all(out.air_pressure_target_kpa <= LIM.air_pressure_max_kpa)
    if temp >= LIM.heater_surface_max_c:
        assert np.all(out.heater_target_c == 0)
    if pressure > LIM.air_pressure_max_kpa:
        assert np.all(out.air_pressure_target_kpa == 0)
    if force > LIM.roller_force_hard_max_n:
        assert np.all(out.depth_target_mm <= r.depth_mm - sv.FORCE_BACKOFF_MM + 1e-9)
    if stop or not occupied:
        assert all(out.depth_target_mm == 0)
    if stop:
        assert all(is_safe(out, i) for i in range(N))


def test_a_carriage_reading_off_the_track_uses_the_track_end_and_one_not_a_number_latches() -> None:
    """The force kernel looks the person's limits up on the grid at the carriage: a reading past
    either end uses that end's limits; one that is not a finite number has no place on the grid,
    so it never reaches the kernel: its chair is latched in the safe state, held where it last
    was, and the other chair carries on."""
    sup = SafetySupervisor(DESC, MAPS)
    for y in (5000.0, -5000.0):
        out = sup.filter(program_frame(), readings(0.0, carriage_y_mm=np.full(N, y)), 0.0)
        end = DESC.carriage_y_max_mm if y > 0 else DESC.carriage_y_min_mm
        # Never deeper than the person's comfortable depth at that end of the track.
        assert (out.depth_target_mm <= sup.comfortable_depth_at(np.full(N, end)) + 1e-9).all()
    for bad in (np.nan, np.inf, -np.inf):
        sup = SafetySupervisor(DESC, MAPS)
        sup.filter(program_frame(), readings(0.0), 0.0)
        out = sup.filter(
            program_frame(), readings(0.01, carriage_y_mm=np.array([bad, 250.0])), 0.01
        )
        out.validate(DESC)
        assert sup.latched_rule == [sv.READING_NOT_FINITE, None]
        assert is_safe(out, 0) and not is_safe(out, 1)
        assert out.carriage_y_target_mm[0] == 250.0  # held at its last finite reading
        assert rules(sup) == [(0, sv.READING_NOT_FINITE)]


def test_a_new_session_on_a_long_lived_supervisor_counts_its_auto_off_from_its_own_start() -> None:
    """The chair's service keeps one supervisor for its whole life: an activity begun after the
    service has run longer than the auto-off time is not finished at once."""
    sup = SafetySupervisor(DESC, MAPS)
    t = LIM.session_auto_off_s + 60.0
    sup.filter(program_frame(), readings(t), t)
    assert sup.finish_requested.all()
    sup.begin_session(t + 1.0)
    for k in range(1, 4):
        now = t + 1.0 + 0.01 * k
        sup.filter(program_frame(), readings(now), now)
    assert not sup.finish_requested.any()
    later = t + 1.0 + LIM.session_auto_off_s
    sup.filter(program_frame(), readings(later), later)
    assert sup.finish_requested.all()
