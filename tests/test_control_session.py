"""The control runtime: sessions on the twin, live commands, stops, and the one write path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.control import LiveCommand, Outcome, Session, SimulatedClock, State, run_session
from openchair.hardware.contract import Commands, Readings
from openchair.hardware.recording import RecordingDriver
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.programs import parse_program
from openchair.safety.limits import DEFAULT_LIMITS as LIM

SHORT = parse_program(
    """name = "Short"
description = "A short test program."
minutes = 0.5

[[step]]
seconds = 10
technique = "knead"
zone = "lumbar"
depth = 0.8
heat = { back = 40 }
air = { zones = ["waist"], level = 3, rhythm = "pulse", cycles_per_min = 12 }

[[step]]
seconds = 10
technique = "roll"
zone = "full-back"
speed = 5
depth = 1.0
recline = "relax"

[[step]]
seconds = 10
technique = "shiatsu"
zone = "upper-back"
depth = 1.0
dwell_seconds = 1
air = { zones = ["calves"], level = 4, rhythm = "hold" }
""",
    "short.toml",
)
PEOPLE = [BodyParams.from_percentile(50, "male"), BodyParams.from_percentile(5, "female", seed=4)]


def make_session(people: list[BodyParams] = PEOPLE) -> tuple[Session, TwinChair, RecordingDriver]:
    bodies = BodyBatch.from_params(people)
    twin = TwinChair(bodies, seeds=list(range(len(people))))
    spy = RecordingDriver(twin)
    return Session(SHORT, bodies.true_maps(), spy), twin, spy


def frames_equal(a: Commands, b: Commands) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)


def test_a_session_completes_and_every_frame_came_from_the_supervisor() -> None:
    session, twin, spy = make_session()
    outputs: list[Commands] = []
    original = session.driver.supervisor.filter

    def recording_filter(setpoints: Commands, readings: Readings, now_s: float) -> Commands:
        out = original(setpoints, readings, now_s)
        outputs.append(out.copy())
        return out

    session.driver.supervisor.filter = recording_filter  # type: ignore[method-assign]
    record = run_session(session, SimulatedClock())
    assert [c.outcome for c in record.chairs] == [Outcome.COMPLETED, Outcome.COMPLETED]
    assert len(spy.frames) == len(outputs) > 3000
    assert all(frames_equal(a, b) for a, b in zip(spy.frames, outputs, strict=True))
    # Finishing left the chair at rest: rollers in, cushions vented, upright.
    truth = twin.truth
    assert np.all(truth.depth_mm < 1.0) and truth.air_pressure_kpa.max() < 2.0
    chair = record.chairs[0]
    assert chair.seconds_by_zone["lumbar"] > 2 and chair.max_force_n > 0
    assert chair.max_depth_mm <= LIM.roller_depth_hard_max_mm


def test_the_session_has_no_way_to_the_driver_but_the_supervisor() -> None:
    session, _, spy = make_session()
    public = {name for name in vars(session.driver) if not name.startswith("_")}
    assert public == {"supervisor"}
    assert not any(v is spy for v in vars(session).values())


def run_ticks(session: Session, n: int) -> None:
    for _ in range(n):
        session.tick(session.ticks * session.tick_s)


def test_stop_reaches_the_safe_state_within_one_tick_and_is_latched() -> None:
    session, _, spy = make_session()
    run_ticks(session, 300)
    session.command(LiveCommand("stop"))
    run_ticks(session, 1)
    last = spy.frames[-1]
    assert np.all(last.depth_target_mm == 0) and np.all(last.knead_speed_cpm == 0)
    assert np.all(last.air_pressure_target_kpa == 0) and np.all(last.heater_target_c == 0)
    assert np.all(session.state == State.STOPPED)
    run_ticks(session, 50)
    assert np.all(spy.frames[-1].depth_target_mm == 0)
    assert session.record().chairs[0].outcome is Outcome.STOPPED


def test_the_stop_button_stops_one_chair_and_not_the_other() -> None:
    session, twin, spy = make_session()
    run_ticks(session, 200)
    twin.press_stop_button(chairs=1)
    run_ticks(session, 1)
    assert spy.frames[-1].depth_target_mm[1] == 0 and session.state[1] == State.STOPPED
    assert session.state[0] == State.RUNNING


def test_pause_holds_still_and_resume_continues_where_it_was() -> None:
    session, _, spy = make_session()
    run_ticks(session, 500)
    session.command(LiveCommand("pause"))
    run_ticks(session, 200)
    tick_paused = session.program_tick
    assert np.all(spy.frames[-1].depth_target_mm == 0)
    assert np.all(spy.frames[-1].carriage_speed_limit_mm_s == 0)
    assert spy.frames[-1].heater_target_c[0, 0] == 40.0  # warmth stays on
    run_ticks(session, 100)
    assert session.program_tick == tick_paused
    session.command(LiveCommand("resume"))
    run_ticks(session, 10)
    assert session.program_tick == tick_paused + 10


def test_intensity_focus_heat_and_shoulder_nudge_take_effect_next_tick() -> None:
    session, _, spy = make_session()
    run_ticks(session, 500)  # the rollers are in the lumbar by then, past the light approach
    before = session.compiled.setpoints_at(session.program_tick).depth_target_mm.copy()
    session.command(LiveCommand("intensity", +2))
    run_ticks(session, 1)
    after = session.compiled.setpoints_at(session.program_tick).depth_target_mm
    assert np.all(after > before) and session.intensity == 5
    session.command(LiveCommand("focus", "shoulders"))
    run_ticks(session, 1)
    y = session.compiled.setpoints_at(session.program_tick).carriage_y_target_mm
    lo, hi = session.maps.region_bounds_mm("shoulders")
    assert np.all((y >= lo - 1e-6) & (y <= hi + 1e-6))
    session.command(LiveCommand("heat", False))
    run_ticks(session, 1)
    assert np.all(spy.frames[-1].heater_target_c == 0)
    shoulder = session.maps.landmarks_y_mm[:, LANDMARK_INDEX["shoulder"]].copy()
    session.command(LiveCommand("shoulder", -1))
    run_ticks(session, 1)
    assert np.allclose(session.maps.landmarks_y_mm[:, LANDMARK_INDEX["shoulder"]], shoulder - 10)
    with pytest.raises(ValueError, match="unknown zone"):
        session.command(LiveCommand("focus", "elbow"))
        run_ticks(session, 1)


def test_nobody_seated_pauses_then_stops_that_chair() -> None:
    session, twin, spy = make_session()
    run_ticks(session, 200)
    twin.inject("occupant_leaves", chairs=0)
    run_ticks(session, 2)
    assert spy.frames[-1].depth_target_mm[0] == 0
    run_ticks(session, round(LIM.unoccupied_stop_s / 0.01) + 5)
    assert session.state[0] == State.STOPPED and session.reason[0] == "occupancy_stop"
    assert session.state[1] == State.RUNNING


class SessionMachine(RuleBasedStateMachine):
    """Random live commands, faults and ticks never break a safety invariant."""

    @initialize()
    def start(self) -> None:
        self.session, self.twin, self.spy = make_session()
        self.stop_requested_at: int | None = None

    @rule(n=st.integers(1, 150))
    def tick(self, n: int) -> None:
        for _ in range(n):
            before = len(self.spy.frames)
            readings = self.twin.read(self.session.ticks * self.session.tick_s)
            self.session.tick(self.session.ticks * self.session.tick_s)
            frame = self.spy.frames[before]
            self.check_frame(frame, readings)

    @rule(kind=st.sampled_from(["pause", "resume", "stop"]))
    def simple_command(self, kind: str) -> None:
        self.session.command(LiveCommand(kind))  # type: ignore[arg-type]
        if kind == "stop":
            self.stop_requested_at = len(self.spy.frames)

    @rule(step=st.sampled_from([-1, 1]))
    def intensity(self, step: int) -> None:
        self.session.command(LiveCommand("intensity", step))

    @rule(zone=st.sampled_from([None, "lumbar", "neck", "shoulders", "T7..L3"]))
    def focus(self, zone: str | None) -> None:
        self.session.command(LiveCommand("focus", zone))

    @rule(on=st.booleans())
    def heat(self, on: bool) -> None:
        self.session.command(LiveCommand("heat", on))

    @rule(steps=st.sampled_from([-2, -1, 1, 2]))
    def shoulder(self, steps: int) -> None:
        self.session.command(LiveCommand("shoulder", steps))

    @rule(fault=st.sampled_from(list(TwinFault)), chair=st.integers(0, 1))
    def fault(self, fault: TwinFault, chair: int) -> None:
        self.twin.inject(fault, chairs=chair)

    @rule(chair=st.integers(0, 1))
    def stop_button(self, chair: int) -> None:
        self.twin.press_stop_button(chairs=chair)

    def check_frame(self, frame: Commands, readings: Readings) -> None:
        frame.validate(self.twin.description)
        sup = self.session.driver.supervisor
        allowed = np.minimum(
            sup.comfortable_depth_at(readings.carriage_y_mm), LIM.roller_depth_hard_max_mm
        )
        assert np.all(frame.depth_target_mm <= allowed + 1e-9)
        assert np.all(frame.heater_target_c <= LIM.heater_target_max_c)
        hot = readings.heater_temp_c >= LIM.heater_surface_max_c
        assert np.all(frame.heater_target_c[hot] == 0)
        assert np.all(frame.air_pressure_target_kpa <= LIM.air_pressure_max_kpa)
        force = np.maximum(readings.force_left_n, readings.force_right_n)
        over = force > sup.comfort_force_at(readings.carriage_y_mm)
        assert np.all(frame.depth_target_mm[over] <= readings.depth_mm[over] - 10.0 + 1e-9)
        pressed = readings.stop_button
        assert np.all(frame.depth_target_mm[pressed] == 0)
        assert np.all(frame.heater_target_c[pressed] == 0)
        if self.stop_requested_at is not None and len(self.spy.frames) > self.stop_requested_at:
            assert np.all(self.spy.frames[-1].depth_target_mm == 0)

    @invariant()
    def pressures_and_temperatures_stay_in_bounds(self) -> None:
        if not hasattr(self, "twin"):
            return
        truth = self.twin.truth
        assert truth.air_pressure_kpa.max() <= LIM.air_pressure_max_kpa


SessionMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=25, deadline=None)
TestSessionMachine = SessionMachine.TestCase


def run_cli(*args: str) -> tuple[int, str]:
    _register_commands()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_run_json_summary_and_errors() -> None:
    code, out = run_cli("run", "quick", "--json", "--fault", "lost_commands@5")
    data = json.loads(out)
    assert code == 1
    chair = data["chairs"][0]
    assert chair["outcome"] == "fault" and chair["reason"] == "board_watchdog"
    assert {"time_s", "rule", "value", "limit", "reaction"} <= set(data["safety_events"][-1])
    code, out = run_cli("run", "quick", "--body", "stature=900,mass=60,sex=female")
    assert code == 2 and "stature_mm: 900" in out
    code, out = run_cli("run", "quick", "--fault", "pump_broke@3")
    assert code == 2 and "unknown fault" in out
    code, out = run_cli("run", "quick", "--speed", "warp")
    assert code == 2
    code, out = run_cli("run", "no-such-program")
    assert code == 2


def test_run_scans_first_or_reuses_a_saved_map(tmp_path: Path) -> None:
    code, out = run_cli(
        "scan", "--body", "percentile=30,sex=female", "--save", str(tmp_path / "m.json")
    )
    assert code == 0
    code, out = run_cli(
        "run",
        "quick",
        "--json",
        "--body",
        "percentile=30,sex=female",
        "--body-map",
        str(tmp_path / "m.json"),
        "--fault",
        "occupant_leaves@2",
    )
    assert code == 1 and json.loads(out)["chairs"][0]["reason"] == "occupancy_stop"
    code, out = run_cli("run", "quick", "--no-scan", "--json", "--fault", "lost_commands@1")
    assert code == 1 and json.loads(out)["chairs"][0]["reason"] == "board_watchdog"
    (tmp_path / "bad.json").write_text("{}")
    code, out = run_cli("run", "quick", "--body-map", str(tmp_path / "bad.json"))
    assert code == 2 and "not an openchair body map" in out
