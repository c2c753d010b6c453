"""A dead force sensor is told apart from rollers that simply do not reach the back.

The silent-sensor rule latches the safe state when the force readings stay at zero while the
rollers must be pressing. "Must" comes from the depth at which the person's scan felt the back
(kept in the body map). Verification found two ways to get this wrong: judging by 80 % of the
comfortable depth faulted Deep Tissue for people with a strong lumbar hollow (the back at the top
of the hollow lies deeper than that), and judging by the back's estimated profile faulted Heated
Back over very stiff tight spots (stiff tissue makes the profile look nearer than it is).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch, grid_index
from openchair.body.model import BodyParams
from openchair.body.track import GRID_Y_MM
from openchair.control import Session, SimulatedClock, State, run_session
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.programs import ProgramLibrary
from openchair.safety import supervisor as sv
from openchair.safety.supervisor import SafetySupervisor
from openchair.scan import run_scan

DESC = ChairDescription()
STROKE_MM = max(DESC.knead_depth_amplitude_mm, DESC.tap_depth_amplitude_mm)
Y_MM = 250.0
"""A place on the lumbar of both bodies below."""


def maps_with_flat_back(contact_mm: float) -> BodyMapBatch:
    """An average man's map whose scan felt the back at ``contact_mm`` everywhere."""
    m = BodyBatch.from_params([BodyParams.from_percentile(50, "male")]).true_maps()
    return BodyMapBatch(
        m.landmarks_y_mm,
        m.comfortable_depth_mm,
        m.comfort_force_n,
        m.tight_spots_y_mm,
        np.full((1, GRID_Y_MM.size), contact_mm),
    )


def silent_readings(t: float, depth_mm: float) -> Readings:
    return Readings(
        time_s=t,
        carriage_y_mm=np.array([Y_MM]),
        depth_mm=np.array([depth_mm]),
        width_mm=np.array([70.0]),
        force_left_n=np.zeros(1),
        force_right_n=np.zeros(1),
        shoulder_sensor=np.zeros(1, dtype=bool),
        air_pressure_kpa=np.zeros((1, DESC.n_air_zones)),
        heater_temp_c=np.full((1, DESC.n_heaters), 30.0),
        backrest_angle_deg=np.full(1, 110.0),
        legrest_angle_deg=np.full(1, 10.0),
        backrest_current_a=np.full(1, 0.05),
        legrest_current_a=np.full(1, 0.05),
        occupied=np.ones(1, dtype=bool),
        stop_button=np.zeros(1, dtype=bool),
        fault_flags=np.zeros(1, dtype=np.int64),
    )


def hold_silent(sup: SafetySupervisor, depth_mm: float, seconds: float) -> None:
    frame = Commands.safe(DESC, 1, np.array([Y_MM]))
    frame.depth_target_mm[:] = depth_mm
    for k in range(round(seconds / 0.01) + 1):
        sup.filter(frame, silent_readings(k * 0.01, depth_mm), k * 0.01)


@settings(max_examples=60, deadline=None)
@given(contact=st.floats(0.0, 80.0), into_back=st.floats(-80.0, 0.0))
def test_rollers_short_of_the_sure_contact_depth_never_latch(
    contact: float, into_back: float
) -> None:
    sup = SafetySupervisor(DESC, maps_with_flat_back(contact))
    depth = contact + sv.SILENT_CONTACT_MM + STROKE_MM + into_back
    hold_silent(sup, max(depth, 0.0), 3 * sv.SILENT_FORCE_S)
    assert sup.latched_rule == [None]


@settings(max_examples=60, deadline=None)
@given(contact=st.floats(0.0, 60.0), past=st.floats(0.5, 30.0))
def test_rollers_surely_in_the_back_with_no_force_latch_within_the_silence_time(
    contact: float, past: float
) -> None:
    sup = SafetySupervisor(DESC, maps_with_flat_back(contact))
    depth = contact + sv.SILENT_CONTACT_MM + STROKE_MM + past
    hold_silent(sup, depth, sv.SILENT_FORCE_S + 0.02)
    assert sup.latched_rule == [sv.FORCE_SENSOR_SILENT]


def test_a_map_without_a_contact_depth_falls_back_to_the_comfortable_depth() -> None:
    m = maps_with_flat_back(0.0)
    older = BodyMapBatch(m.landmarks_y_mm, m.comfortable_depth_mm, m.comfort_force_n)
    sup = SafetySupervisor(DESC, older)
    comfortable = float(sup.comfortable_depth_at(np.array([Y_MM]))[0])
    hold_silent(sup, 0.75 * comfortable, 2 * sv.SILENT_FORCE_S)
    assert sup.latched_rule == [None]
    hold_silent(sup, 0.9 * comfortable, sv.SILENT_FORCE_S + 0.02)
    assert sup.latched_rule == [sv.FORCE_SENSOR_SILENT]


def test_the_contact_depth_survives_a_body_map_round_trip() -> None:
    m = maps_with_flat_back(33.0)
    again = BodyMapBatch.from_maps([m.map_at(0)])
    assert again.contact_depth_mm[0, grid_index(Y_MM)] == 33.0
    assert np.array_equal(again.has_contact_depth(), [True])


STRONG_HOLLOW = BodyParams(
    stature_mm=1824.5,
    mass_kg=73.1,
    sex="male",
    lordosis=1.4,
    kyphosis=1.189,
    tissue_softness=0.943,
    seed=38421533,
)
"""Body 55 of the default verification population: at the top of its lumbar hollow the back lies
deeper than 80 % of the mid-back's comfortable depth, and Deep Tissue's kneading travels there."""

STIFF_SPOT = BodyParams(
    stature_mm=1812.0,
    mass_kg=86.0,
    sex="male",
    lordosis=0.685,
    kyphosis=1.075,
    tissue_softness=0.828,
    seed=1596688607,
)
"""Body 82 of the default population: a very stiff tight spot at T12, where a profile estimated
with typical tissue puts the back 20 mm nearer than it is; Heated Back kneads there lightly."""


def scanned_session(
    params: BodyParams, program_id: str = "deep-tissue"
) -> tuple[TwinChair, Session]:
    twin = TwinChair(BodyBatch.from_params([params]), seeds=[params.seed])
    scan = run_scan(twin)
    session = Session(
        ProgramLibrary(user_dir=None).get(program_id),
        scan.maps(),
        twin,
        start_s=scan.duration_s + 0.01,
    )
    return twin, session


@pytest.mark.parametrize(
    ("params", "y_mm", "depth_mm"),
    [(STRONG_HOLLOW, 341.0, 42.0), (STIFF_SPOT, 368.0, 17.8)],
    ids=["top-of-a-deep-hollow", "stiff-tight-spot"],
)
def test_rollers_short_of_the_back_where_verification_caught_it_are_not_a_dead_sensor(
    params: BodyParams, y_mm: float, depth_mm: float
) -> None:
    # Where and how deep the rollers were when the earlier rules latched: kneading travelling
    # over the top of the hollow at 85 % of the mid-back's comfortable depth (Deep Tissue), and
    # light kneading over the stiff spot (Heated Back). At the shallow half of the kneading
    # stroke the back is not there: no force, for over a second.
    bodies = BodyBatch.from_params([params])
    twin = TwinChair(bodies, seeds=[params.seed])
    maps = run_scan(twin).maps()
    y, depth = np.array([y_mm]), np.array([depth_mm])
    shallowest = depth - DESC.knead_depth_amplitude_mm
    true_force = max(bodies.roller_force_n(y, shallowest, side)[0] for side in (0, 1))
    assert true_force < sv.SILENT_FORCE_N
    sup = SafetySupervisor(DESC, maps)
    frame = Commands.safe(DESC, 1, y)
    frame.depth_target_mm[:] = depth_mm
    for k in range(round(3 * sv.SILENT_FORCE_S / 0.01)):
        r = silent_readings(k * 0.01, depth_mm)
        r.carriage_y_mm[:] = y_mm
        sup.filter(frame, r, k * 0.01)
    assert sup.latched_rule == [None]


def test_a_force_sensor_that_dies_during_deep_tissue_latches_the_safe_state() -> None:
    twin, session = scanned_session(STRONG_HOLLOW)

    def kill_sensor(s: Session, now_s: float) -> None:
        if abs(now_s - s.start_s - 100.0) < 0.005:
            twin.inject(TwinFault.FORCE_SENSOR_DEAD)

    record = run_session(session, SimulatedClock(), on_tick=kill_sensor, max_ticks=20_000)
    latched = [e for e in record.events if e.rule == sv.FORCE_SENSOR_SILENT]
    assert session.state[0] == State.FAULT and latched
    assert latched[0].time_s - session.start_s < 130.0
