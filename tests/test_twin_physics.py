"""Physics of the digital twin: claims that a wrong model would fail."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.body.model import BodyParams
from openchair.hardware.contract import (
    BoardFault,
    ChairDescription,
    CommandRangeError,
    Commands,
    Readings,
    TapMode,
)
from openchair.hardware.twin import TwinChair, TwinFault, UnknownFaultError

DESC = ChairDescription()
AVERAGE = BodyParams.from_percentile(50, "male")


def make_twin(n: int = 1, params: list[BodyParams] | None = None, **kw: object) -> TwinChair:
    bodies = BodyBatch.from_params(params or [AVERAGE] * n)
    return TwinChair(bodies, **kw)  # type: ignore[arg-type]


def frame(n: int = 1) -> Commands:
    return Commands.safe(DESC, n)


def run(twin: TwinChair, cmd: Commands, seconds: float, dt: float = 0.01) -> list[Readings]:
    return [twin.step(cmd) for _ in range(round(seconds / dt))]


def test_twin_satisfies_the_driver_contract() -> None:
    from openchair.hardware.contract import ChairDriver

    assert isinstance(make_twin(), ChairDriver)


def test_carriage_respects_speed_limit_and_reaches_target() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 600.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    ys = np.array([r.carriage_y_mm[0] for r in run(twin, cmd, 13.0)])
    true_y = twin.truth.carriage_y_mm[0]
    assert true_y == pytest.approx(600.0, abs=0.5)
    speeds = np.diff(ys) / 0.01
    assert np.median(np.abs(speeds[200:800])) == pytest.approx(60.0, abs=3.0)
    # Sweep of 600 mm at 60 mm/s takes at least 10 s: it did not arrive early.
    assert ys[900] < 599.0


def test_carriage_speed_limit_from_command_is_obeyed() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 600.0
    cmd.carriage_speed_limit_mm_s[:] = 20.0
    run(twin, cmd, 5.0)
    assert twin.truth.carriage_y_mm[0] == pytest.approx(100.0 - 20.0**2 / (2 * 300.0), abs=1.0)


def test_depth_moves_at_most_30_mm_per_second_and_stays_in_range() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.depth_target_mm[:] = 120.0
    run(twin, cmd, 2.0)
    assert twin.truth.depth_mm[0] <= 60.0 + 1e-6
    run(twin, cmd, 4.0)
    assert twin.truth.depth_mm[0] == pytest.approx(120.0)


def press(params: BodyParams, depth_mm: float, y_mm: float = 300.0) -> float:
    twin = make_twin(params=[params])
    cmd = frame()
    cmd.carriage_y_target_mm[:] = y_mm
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = depth_mm
    run(twin, cmd, 10.0)
    return float(twin.truth.force_left_n[0])


def test_force_is_zero_off_the_back_and_rises_faster_than_linearly_with_depth() -> None:
    forces = [press(AVERAGE, d) for d in (0.0, 40.0, 60.0, 80.0)]
    assert forces[0] == 0.0
    assert forces[1] < forces[2] < forces[3]
    # Non-linear tissue: the second 20 mm add more force than the first.
    assert forces[3] - forces[2] > forces[2] - forces[1]


def test_softer_tissue_gives_less_force_at_the_same_depth() -> None:
    soft = BodyParams(stature_mm=1756, mass_kg=85, sex="male", tissue_softness=1.5)
    stiff = BodyParams(stature_mm=1756, mass_kg=85, sex="male", tissue_softness=0.7)
    assert press(soft, 70.0) < press(stiff, 70.0)


def test_kneading_and_tapping_make_the_force_oscillate_at_their_rate() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 450.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 40.0
    run(twin, cmd, 9.0)
    cmd.tap_rate_hz[:] = 5.0
    cmd.tap_mode[:] = int(TapMode.ALTERNATE)
    readings = run(twin, cmd, 4.0)
    left = np.array([r.force_left_n[0] for r in readings])
    right = np.array([r.force_right_n[0] for r in readings])
    spectrum = np.abs(np.fft.rfft(left - left.mean()))
    freqs = np.fft.rfftfreq(left.size, 0.01)
    assert freqs[np.argmax(spectrum)] == pytest.approx(5.0, abs=0.3)
    # Knocking: the heads strike in turn, so left and right are anti-correlated.
    assert np.corrcoef(left, right)[0, 1] < 0
    cmd.tap_mode[:] = int(TapMode.TOGETHER)
    readings = run(twin, cmd, 4.0)
    left = np.array([r.force_left_n[0] for r in readings])
    right = np.array([r.force_right_n[0] for r in readings])
    assert np.corrcoef(left, right)[0, 1] > 0.5


def test_heater_approaches_target_and_cools_when_off_with_a_lagging_sensor() -> None:
    twin = make_twin(physics_dt_s=0.05)  # heat is slow: coarser steps keep the test quick
    cmd = frame()
    cmd.heater_target_c[:, 0] = 40.0
    readings = run(twin, cmd, 20.0, dt=0.05)
    truth = twin.truth.heater_temp_c[0, 0]
    assert truth > 23.5
    assert readings[-1].heater_temp_c[0, 0] < truth  # the sensor lags the surface
    run(twin, cmd, 400.0, dt=0.05)
    assert twin.truth.heater_temp_c[0, 0] == pytest.approx(40.0, abs=1.0)
    assert twin.truth.heater_temp_c[0, 1] == pytest.approx(22.0, abs=0.1)  # calves untouched
    cmd.heater_target_c[:, 0] = 0.0
    run(twin, cmd, 300.0, dt=0.05)
    assert twin.truth.heater_temp_c[0, 0] < 32.0


def test_cushions_inflate_from_a_shared_pump_and_vent() -> None:
    twin = make_twin(n=2)
    cmd = frame(2)
    cmd.air_pressure_target_kpa[0, 6] = 30.0  # chair 0: seat only
    cmd.air_pressure_target_kpa[1, :] = 30.0  # chair 1: every zone shares the pump
    run(twin, cmd, 0.5)
    p = twin.truth.air_pressure_kpa
    assert p[0, 6] > 3 * p[1, 6] > 0
    run(twin, cmd, 20.0)
    assert twin.truth.air_pressure_kpa[0, 6] == pytest.approx(30.0, abs=1.0)
    cmd.air_pressure_target_kpa[:] = 0.0
    run(twin, cmd, 5.0)
    assert twin.truth.air_pressure_kpa.max() < 1.0


def test_cushion_leaks_slowly_when_held() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.air_pressure_target_kpa[0, 6] = 30.0
    run(twin, cmd, 3.0)
    held = twin.truth.air_pressure_kpa[0, 6]
    # Closing the valve at the current pressure: only the leak acts.
    cmd.air_pressure_target_kpa[0, 6] = held
    run(twin, cmd, 0.3)
    assert 0.0 < held - twin.truth.air_pressure_kpa[0, 6] < 0.5


def test_recline_moves_at_limited_speed() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.backrest_angle_target_deg[:] = 165.0
    cmd.legrest_angle_target_deg[:] = 85.0
    readings = run(twin, cmd, 7.5)
    assert readings[-1].backrest_angle_deg[0] == pytest.approx(132.5, abs=0.2)
    assert readings[-1].backrest_current_a[0] > 0.5
    run(twin, cmd, 8.0)
    r = twin.read(twin.time_s)
    assert r.backrest_angle_deg[0] == pytest.approx(165.0)
    assert r.legrest_angle_deg[0] == pytest.approx(85.0)
    assert r.backrest_current_a[0] < 0.3


def test_watchdog_trips_after_250_ms_of_silence_and_says_so() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 500.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 40.0
    cmd.heater_target_c[:, 0] = 40.0
    twin.write(cmd, 0.0)
    r = twin.read(0.24)
    assert r.fault_flags[0] == 0
    r = twin.read(0.26)
    assert r.fault_flags[0] & BoardFault.WATCHDOG
    assert r.fault_flags[0] & BoardFault.SAFE_STATE
    y_at_trip = twin.truth.carriage_y_mm[0]
    twin.read(3.0)
    truth = twin.truth
    assert truth.depth_mm[0] == 0.0  # retracted
    assert abs(truth.carriage_y_mm[0] - y_at_trip) < 10.0  # stopped, not travelling on
    twin.write(cmd, 3.0)
    assert twin.read(3.01).fault_flags[0] == 0


def test_seeded_runs_repeat_exactly_and_other_seeds_differ() -> None:
    def trace(seed: int) -> np.ndarray:
        twin = make_twin(seeds=[seed])
        cmd = frame()
        cmd.carriage_y_target_mm[:] = 300.0
        cmd.carriage_speed_limit_mm_s[:] = 60.0
        cmd.depth_target_mm[:] = 50.0
        return np.array([r.force_left_n[0] for r in run(twin, cmd, 8.0)])

    assert np.array_equal(trace(7), trace(7))
    assert not np.array_equal(trace(7), trace(8))


def test_batch_equals_single_runs_exactly() -> None:
    params = [
        BodyParams.from_percentile(5, "female", seed=1),
        BodyParams.from_percentile(50, "male", seed=2),
        BodyParams.from_percentile(95, "male", seed=3),
    ]
    seeds = [11, 12, 13]

    def drive(twin: TwinChair, n: int) -> list[Readings]:
        cmd = frame(n)
        cmd.carriage_y_target_mm[:] = 400.0
        cmd.carriage_speed_limit_mm_s[:] = 60.0
        cmd.depth_target_mm[:] = 60.0
        cmd.knead_speed_cpm[:] = 40.0
        cmd.air_pressure_target_kpa[:, 2] = 25.0
        cmd.heater_target_c[:, 0] = 40.0
        return run(twin, cmd, 6.0)

    batch = drive(make_twin(params=params, seeds=seeds), 3)
    for i in range(3):
        single = drive(make_twin(params=[params[i]], seeds=[seeds[i]]), 1)
        for rb, rs in zip(batch, single, strict=True):
            assert np.array_equal(rb.select(np.array([i])).force_left_n, rs.force_left_n)
            assert np.array_equal(rb.air_pressure_kpa[i], rs.air_pressure_kpa[0])
            assert np.array_equal(rb.heater_temp_c[i], rs.heater_temp_c[0])
            assert np.array_equal(rb.carriage_y_mm[i], rs.carriage_y_mm[0])


def test_shoulder_sensor_trips_at_the_shoulder_line() -> None:
    twin = make_twin()
    shoulder = BodyBatch.from_params([AVERAGE]).landmarks_y_mm[0, LANDMARK_INDEX["shoulder"]]
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 800.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    readings = run(twin, cmd, 15.0)
    tripped = [r.carriage_y_mm[0] for r in readings if r.shoulder_sensor[0]]
    assert tripped
    assert abs(float(np.mean(tripped)) - shoulder) < 15.0


def test_out_of_range_commands_and_unknown_faults_are_refused_clearly() -> None:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 900.0
    with pytest.raises(CommandRangeError, match="carriage_y_target_mm: chair 0: 900"):
        twin.write(cmd, 0.0)
    with pytest.raises(CommandRangeError, match="frame is for 2 chairs"):
        twin.write(frame(2), 0.0)
    with pytest.raises(UnknownFaultError, match="known faults: temp_sensor_open"):
        twin.inject("pump_broke")
    with pytest.raises(ValueError, match="unknown heater"):
        twin.inject("temp_sensor_open", target="neck")
    with pytest.raises(ValueError, match=r"chairs: \[5\] outside 0..0"):
        twin.inject("pump_dead", chairs=5)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-550, 800),
            st.floats(0, 60),
            st.floats(0, 120),
            st.floats(0, 45),
            st.floats(100, 165),
            st.floats(0, 85),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_positions_and_pressures_stay_in_range_for_any_valid_commands(
    moves: list[tuple[float, float, float, float, float, float]],
) -> None:
    twin = make_twin()
    cmd = frame()
    for y, speed, depth, kpa, back, leg in moves:
        cmd.carriage_y_target_mm[:] = y
        cmd.carriage_speed_limit_mm_s[:] = speed
        cmd.depth_target_mm[:] = depth
        cmd.air_pressure_target_kpa[:] = kpa
        cmd.backrest_angle_target_deg[:] = back
        cmd.legrest_angle_target_deg[:] = leg
        for _ in range(40):
            twin.step(cmd)
            t = twin.truth
            assert DESC.carriage_y_min_mm <= t.carriage_y_mm[0] <= DESC.carriage_y_max_mm
            assert 0.0 <= t.depth_mm[0] <= DESC.depth_max_mm
            assert t.air_pressure_kpa.min() >= 0.0 and t.air_pressure_kpa.max() <= 45.0


@pytest.mark.parametrize("fault", list(TwinFault))
def test_a_fault_on_one_chair_leaves_the_others_untouched(fault: TwinFault) -> None:
    healthy = make_twin(n=3, seeds=[1, 2, 3])
    faulty = make_twin(n=3, seeds=[1, 2, 3])
    faulty.inject(fault, chairs=1)
    assert faulty.active_faults(1) == {fault}
    cmd = frame(3)
    cmd.carriage_y_target_mm[:] = 300.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 50.0
    cmd.air_pressure_target_kpa[:] = 20.0
    cmd.heater_target_c[:] = 40.0
    cmd.legrest_angle_target_deg[:] = 40.0
    for _ in range(300):
        a = healthy.step(cmd)
        b = faulty.step(cmd)
    for i in (0, 2):
        assert np.array_equal(a.force_left_n[i], b.force_left_n[i])
        assert np.array_equal(a.air_pressure_kpa[i], b.air_pressure_kpa[i])
        assert np.array_equal(a.heater_temp_c[i], b.heater_temp_c[i])
        assert a.fault_flags[i] == b.fault_flags[i]


def sensed_after(fault: TwinFault, seconds: float = 5.0, **kw: str) -> tuple[Readings, TwinChair]:
    twin = make_twin()
    cmd = frame()
    cmd.carriage_y_target_mm[:] = 300.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 50.0
    cmd.air_pressure_target_kpa[:] = 20.0
    cmd.legrest_angle_target_deg[:] = 40.0
    run(twin, cmd, 8.0)
    twin.inject(fault, **kw)  # type: ignore[arg-type]
    cmd.legrest_angle_target_deg[:] = 0.0
    readings = run(twin, cmd, seconds)
    return readings[-1], twin


def test_each_fault_shows_in_the_readings() -> None:
    r, _ = sensed_after(TwinFault.TEMP_SENSOR_OPEN)
    assert r.heater_temp_c[0, 0] == -40.0
    r, _ = sensed_after(TwinFault.TEMP_SENSOR_SHORTED, target="calves")
    assert r.heater_temp_c[0, 1] == 150.0 and r.heater_temp_c[0, 0] < 30
    r, twin = sensed_after(TwinFault.TEMP_SENSOR_STUCK)
    first = r.heater_temp_c[0, 0]
    assert twin.step(frame()).heater_temp_c[0, 0] == first
    r, twin = sensed_after(TwinFault.HEATER_RELAY_STUCK_ON, seconds=30.0)
    assert twin.truth.heater_temp_c[0, 0] > 25.0  # heats with target 0
    _, twin = sensed_after(TwinFault.PUMP_DEAD)
    before = twin.truth.air_pressure_kpa.copy()
    cmd = frame()
    cmd.air_pressure_target_kpa[:] = 40.0
    run(twin, cmd, 1.0)
    assert np.all(twin.truth.air_pressure_kpa <= before + 1e-9)
    _, twin = sensed_after(TwinFault.VALVE_STUCK, target="seat")
    held = twin.truth.air_pressure_kpa[0, 6]
    run(twin, frame(), 3.0)  # venting everything
    assert twin.truth.air_pressure_kpa[0, 6] > held - 1.0
    assert twin.truth.air_pressure_kpa[0, 0] < 1.0
    r, twin = sensed_after(TwinFault.FORCE_SENSOR_DEAD)
    assert r.force_left_n[0] == 0.0 and twin.truth.force_left_n[0] > 1.0
    _, twin = sensed_after(TwinFault.ENCODER_GLITCH, seconds=0.01)
    ys = np.array([twin.step(frame()).carriage_y_mm[0] for _ in range(300)])
    assert np.abs(np.diff(ys)).max() > 100.0
    _, twin = sensed_after(TwinFault.LOST_COMMANDS, seconds=0.3)
    assert twin.read(twin.time_s).fault_flags[0] & BoardFault.WATCHDOG
    r, twin = sensed_after(TwinFault.OCCUPANT_LEAVES, seconds=0.1)
    assert not r.occupied[0] and r.force_left_n[0] == 0.0
    r, twin = sensed_after(TwinFault.OCCUPANT_LEANS_FORWARD, seconds=0.1)
    assert r.occupied[0] and r.force_left_n[0] == 0.0 and twin.truth.force_left_n[0] == 0.0
    r, twin = sensed_after(TwinFault.LEGREST_OBSTRUCTION, seconds=1.0)
    assert r.legrest_current_a[0] > 3.0
    assert r.legrest_angle_deg[0] == pytest.approx(40.0, abs=0.5)  # cannot lower


def test_stop_button_is_sensed() -> None:
    twin = make_twin(n=2)
    twin.press_stop_button(chairs=1)
    r = twin.read(0.01)
    assert r.stop_button.tolist() == [False, True]


def test_roller_force_is_the_bodys_tissue_law_where_the_carriage_is() -> None:
    """The twin's rollers press each body by the body's own profiles and tissue law, looked up
    where the carriage is at every tick (also while it moves, and off the back)."""
    params = [
        BodyParams.from_percentile(5, "female", seed=1),
        BodyParams.from_percentile(95, "male", seed=2),
        BodyParams(stature_mm=1756, mass_kg=85, sex="male", tissue_softness=1.5),
    ]
    twin = make_twin(params=params)
    cmd = frame(3)
    cmd.carriage_y_target_mm[:] = [700.0, -200.0, 350.0]
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = [40.0, 70.0, 100.0]
    twin.inject(TwinFault.OCCUPANT_LEANS_FORWARD, chairs=[2])
    lean = np.array([0.0, 0.0, 150.0])
    pressed = 0
    for _ in range(400):
        twin.step(cmd)
        t = twin.truth
        law = twin.bodies.roller_force_n(t.carriage_y_mm, np.maximum(t.depth_mm - lean, 0.0))
        assert np.array_equal(t.force_left_n, law[:, 0])
        assert np.array_equal(t.force_right_n, law[:, 1])
        pressed += int((t.force_left_n[:2] > 5.0).sum())
    assert pressed > 100  # the rollers did press the two who sit back
    assert not twin.truth.force_left_n[2]  # and cannot reach the one leaning forward


def test_a_copied_twin_carries_on_exactly_like_the_original_and_apart_from_it() -> None:
    """The verifier copies a scanned twin for every program (and sends it to other processes):
    each copy goes on exactly as the original would, and stepping one leaves the other as it is."""
    twin = make_twin(2, seeds=[3, 4])
    cmd = frame(2)
    cmd.carriage_y_target_mm[:] = 400.0
    cmd.carriage_speed_limit_mm_s[:] = 60.0
    cmd.depth_target_mm[:] = 60.0
    cmd.knead_speed_cpm[:] = 40.0
    cmd.air_pressure_target_kpa[:, 0] = 20.0
    cmd.heater_target_c[:, 0] = 40.0
    run(twin, cmd, 3.0)
    copies = [copy.deepcopy(twin), pickle.loads(pickle.dumps(twin))]
    before = twin.truth
    traces = []
    for c in copies:
        traces.append(run(c, cmd, 1.0))
        # The copy moved and its truth shows it; the original stayed where it was.
        assert not np.array_equal(c.truth.carriage_y_mm, before.carriage_y_mm)
        assert not np.array_equal(c.truth.heater_temp_c, before.heater_temp_c)
        assert np.array_equal(twin.truth.carriage_y_mm, before.carriage_y_mm)
        assert np.array_equal(twin.truth.heater_temp_c, before.heater_temp_c)
        c.inject(TwinFault.LOST_COMMANDS)
        assert not twin.active_faults(0)
    original = run(twin, cmd, 1.0)
    for trace in traces:
        for a, b in zip(original, trace, strict=True):
            assert np.array_equal(a.force_left_n, b.force_left_n)
            assert np.array_equal(a.carriage_y_mm, b.carriage_y_mm)
            assert np.array_equal(a.air_pressure_kpa, b.air_pressure_kpa)
            assert np.array_equal(a.heater_temp_c, b.heater_temp_c)
