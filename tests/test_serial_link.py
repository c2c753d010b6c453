"""The serial link on a real pty: the board emulator against SerialDriver, whole runs and faults."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.control import Session, SimulatedClock, run_session
from openchair.control.record import Outcome, SessionRecord
from openchair.hardware.contract import BoardFault, ChairDriver, Commands, Readings
from openchair.hardware.serial import (
    PROTOCOL_VERSION,
    LinkError,
    ProtocolVersionError,
    SerialDriver,
)
from openchair.hardware.serial.board import Board, TwinFaultAt
from openchair.hardware.serial.emulator import BoardEmulator
from openchair.hardware.serial.linkfaults import ScheduledLinkFault, parse_link_fault
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.programs import load_program
from openchair.scan import run_scan
from openchair.selftest import SimulatedTicker, run_selftest

PROGRAM = Path(__file__).parent / "data" / "serial_check.toml"
BODY = BodyParams.from_percentile(50, "male", seed=0)
SEED = 3
STALL_TOLERANT_S = 2.0
"""Host silence the emulator takes for a pulled cable in tests that compare with the twin
in-process: on a loaded test machine the whole process (host and emulator) can stall for a
moment. The tests of the link watchdog itself use the real 250 ms (``link_timeout_s=None``)."""


def bodies() -> BodyBatch:
    return BodyBatch.from_params([BODY])


@contextmanager
def emulated(
    *,
    twin_faults: list[TwinFaultAt] | None = None,
    link_faults: list[ScheduledLinkFault] | None = None,
    version: int | None = None,
    reply_timeout_s: float = 5.0,
    open_driver: bool = True,
    link_timeout_s: float | None = STALL_TOLERANT_S,
) -> Iterator[tuple[BoardEmulator, SerialDriver]]:
    """A board emulator on a real pty, and a SerialDriver on its path (opened)."""
    kwargs = {} if version is None else {"version": version}
    board = Board(
        bodies(),
        seed=SEED,
        twin_faults=twin_faults,
        link_timeout_s=link_timeout_s,
        **kwargs,  # type: ignore[arg-type]
    )
    emulator = BoardEmulator(board, link_faults=link_faults, seed=SEED).start()
    driver = SerialDriver(emulator.path, reply_timeout_s=reply_timeout_s, report=lambda _: None)
    try:
        if open_driver:
            driver.open()
        yield emulator, driver
    finally:
        driver.close()
        emulator.stop()


def run_program(driver: ChairDriver, *, scan: bool = True) -> SessionRecord:
    """Scan (or take the true map), then the short program to its end, in simulated time."""
    start_s = 0.0
    if scan:
        result = run_scan(driver)
        chair = result.chairs[0]
        assert chair.body_map is not None, chair.message
        maps = BodyMapBatch.from_maps([chair.body_map])
        start_s = result.duration_s + 0.01
    else:
        maps = bodies().true_maps()
    session = Session(load_program(str(PROGRAM)), maps, driver, start_s=start_s)
    return run_session(session, SimulatedClock(t_s=start_s))


# -- the same outcome as the twin in-process ------------------------------------------------------


def _twin() -> TwinChair:
    return TwinChair(bodies(), seeds=[SEED])


@functools.cache
def _on_twin(scan: bool) -> SessionRecord:
    """The short program on the twin in-process: what the link must reproduce."""
    return run_program(_twin(), scan=scan)


def test_whole_program_over_the_pty_ends_as_on_the_twin() -> None:
    in_process = _on_twin(True).chairs[0]
    with emulated() as (em, driver):
        assert isinstance(driver, ChairDriver)  # the contract, checked at run time too
        record = run_program(driver)
        link = (driver.missed_total, driver.stats, em.board.decoder.stats, em.board.trips)
        assert driver.missed_total == 0 and driver.fault is None and not em.board.trips, link
    over_wire = record.chairs[0]
    assert over_wire.outcome is Outcome.COMPLETED
    assert (over_wire.outcome, over_wire.reason) == (in_process.outcome, in_process.reason)
    assert over_wire.seconds == pytest.approx(in_process.seconds, abs=0.05)
    # Readings travel in steps of 0.01 mm / 0.01 N / 0.01 kPa / 0.01 °C: the peaks agree closely.
    assert over_wire.max_depth_mm == pytest.approx(in_process.max_depth_mm, abs=0.5)
    assert over_wire.max_force_n == pytest.approx(in_process.max_force_n, abs=1.5)
    assert over_wire.max_pressure_kpa == pytest.approx(in_process.max_pressure_kpa, abs=0.2)
    assert over_wire.max_temp_c == pytest.approx(in_process.max_temp_c, abs=0.1)
    assert [e.rule for e in record.events] == [e.rule for e in _on_twin(True).events]


@pytest.mark.slow
def test_selftest_over_the_pty_gives_the_twins_verdicts() -> None:
    expected = run_selftest(_twin(), SimulatedTicker())
    with emulated() as (_, driver):
        report = run_selftest(driver, SimulatedTicker())
    assert report.passed
    assert [(p.part, p.verdict) for p in report.parts] == [
        (p.part, p.verdict) for p in expected.parts
    ]


def _exercise(driver: ChairDriver) -> list[Readings]:
    """Everything at once for a second: heat, air, rollers pressing, leg rest lowering; then the
    supply relay opened for the last 0.3 s (SUPPLY_OPEN, heater currents falling to 0)."""
    d = driver.description
    r = driver.read(0.0)
    frame = Commands.safe(d, 1, r.carriage_y_mm, r.backrest_angle_deg, r.legrest_angle_deg)
    frame.carriage_y_target_mm = np.array([300.0])
    frame.carriage_speed_limit_mm_s = np.array([40.0])
    frame.depth_target_mm = np.array([60.0])
    frame.heater_target_c = np.full((1, d.n_heaters), 40.0)
    frame.air_pressure_target_kpa = np.full((1, d.n_air_zones), 20.0)
    frame.legrest_angle_target_deg = np.array([0.0])
    frame.backrest_angle_target_deg = np.array([110.0])
    out = []
    for k in range(1, 121):
        frame.supply_off = np.array([k > 90])
        driver.write(frame, (k - 1) * 0.01)
        out.append(driver.read(k * 0.01))
    return out


@pytest.mark.parametrize(
    ("fault", "target"),
    [(f, None) for f in TwinFault] + [(TwinFault.VALVE_STUCK, "seat")],
)
def test_every_twin_fault_reaches_the_host_through_the_protocol(
    fault: TwinFault, target: str | None
) -> None:
    twin = _twin()
    twin.inject(fault, target=target)
    expected = _exercise(twin)
    with emulated(twin_faults=[(fault, 0.0, target)]) as (_, driver):
        got = _exercise(driver)
    # The supply relay command and the heater currents made the trip (unless no command does).
    arrive = fault is not TwinFault.LOST_COMMANDS
    opened = any(int(r.fault_flags[0]) & BoardFault.SUPPLY_OPEN for r in got)
    assert opened is (arrive and fault is not TwinFault.SUPPLY_RELAY_WELDED)
    assert bool(np.any([r.heater_current_a for r in got])) is arrive
    for e, g in zip(expected, got, strict=True):
        for f in dataclasses.fields(Readings):
            a, b = getattr(e, f.name), getattr(g, f.name)
            if f.name == "time_s" or a.dtype.kind in "bi":
                assert np.array_equal(a, b), (f.name, a, b)
            else:
                step = 0.01 if "current" not in f.name else 0.001
                assert np.allclose(a, b, atol=step / 2 + 1e-9), (f.name, a, b)


# -- faults of the link ---------------------------------------------------------------------------


def test_duplicated_frames_change_nothing() -> None:
    in_process = _on_twin(False)
    with emulated(link_faults=[parse_link_fault("duplicate")]) as (_, driver):
        record = run_program(driver, scan=False)
    assert record.chairs[0].outcome is Outcome.COMPLETED
    assert record.chairs[0].max_depth_mm == pytest.approx(
        in_process.chairs[0].max_depth_mm, abs=0.05
    )
    assert driver.stats.frames > 0


def test_a_delayed_link_changes_nothing_while_replies_come_in_time() -> None:
    in_process = _on_twin(False).chairs[0]
    with emulated(link_faults=[parse_link_fault("delay=1@1")]) as (_, driver):
        record = run_program(driver, scan=False).chairs[0]
        assert driver.missed_total == 0
    assert (record.outcome, record.reason) == (in_process.outcome, in_process.reason)
    assert record.max_depth_mm == pytest.approx(in_process.max_depth_mm, abs=0.05)


@pytest.mark.parametrize("spec", ["drop_bytes=0.0003@1", "corrupt_bytes=0.0003@1", "garbage=300@2"])
def test_lost_or_damaged_bytes_cost_frames_not_the_session(spec: str) -> None:
    with emulated(link_faults=[parse_link_fault(spec)], reply_timeout_s=0.05) as (em, driver):
        record = run_program(driver, scan=False)
        lost = driver.missed_total + em.board.decoder.stats.bad_frames
        bad = driver.stats.bad_frames + driver.stats.overflows + em.board.decoder.stats.bad_frames
    assert record.chairs[0].outcome is Outcome.COMPLETED, record.chairs[0].reason
    assert bad > 0 and lost > 0  # the fault happened, and was survived


def test_cable_pulled_board_safe_within_its_watchdog_and_host_reports_lost_driver() -> None:
    with emulated(link_faults=[parse_link_fault("cable_pulled@4")], link_timeout_s=None) as (
        em,
        driver,
    ):
        driver.reply_timeout_s = 0.02
        record = run_program(driver, scan=False)
        time.sleep(0.4)
        twin = em.board.twin
        assert twin is not None
        truth = twin.truth
        frame_depth = float(twin._frame.depth_target_mm[0])
    chair = record.chairs[0]
    assert (chair.outcome, chair.reason) == (Outcome.FAULT, "driver_lost")
    assert driver.missed_total >= driver.lost_after_misses
    (trip,) = em.board.trips
    # The board's own watchdog: the safe state 250 ms of board time after the last command,
    # acted on as soon as 250 ms of wall time passed without a frame (plus a loop's wake-up).
    assert trip.safe_board_s - trip.last_command_board_s == pytest.approx(0.25)
    assert trip.tripped_wall_s - trip.last_frame_wall_s < 0.25 + 0.05
    assert bool(truth.in_safe_state[0]) and frame_depth == 0.0


def test_board_reboot_mid_session_is_reported_and_the_massage_not_resumed() -> None:
    with emulated(link_faults=[parse_link_fault("reboot@3")]) as (em, driver):
        record = run_program(driver, scan=False)
        assert driver.fault is not None and "restarted" in driver.fault
        assert not em.board.armed  # the host did not re-arm it: commands after it are refused
        until = time.monotonic() + 2.0
        while em.board.rejected == 0 and time.monotonic() < until:
            time.sleep(0.01)  # the emulator's thread takes in the host's last frames
        assert em.board.rejected > 0
        twin = em.board.twin
        assert twin is not None
        assert float(twin._frame.depth_target_mm[0]) == 0.0
        assert not twin._frame.knead_speed_cpm.any() and not twin._frame.heater_target_c.any()
        # Going on takes an explicit step: opening the driver again re-arms the board.
        driver.open()
        assert em.board.armed and driver.fault is None
        assert driver.read(30.0).time_s == 30.0
    chair = record.chairs[0]
    assert (chair.outcome, chair.reason) == (Outcome.FAULT, "driver_lost")
    assert chair.seconds < 4.0


def test_a_board_of_another_protocol_version_is_refused_with_a_clear_message() -> None:
    with emulated(version=PROTOCOL_VERSION + 1, open_driver=False) as (em, driver):
        with pytest.raises(
            ProtocolVersionError,
            match=f"speaks openchair serial protocol version {PROTOCOL_VERSION + 1}",
        ):
            driver.open()
        assert em.board.rejected == 0 and em.board.twin is None  # nothing ever moved


def test_cli_refuses_a_board_of_another_version_without_a_traceback() -> None:
    board = Board(bodies(), seed=SEED, version=PROTOCOL_VERSION + 1)
    with BoardEmulator(board) as em:
        _register_commands()
        result = CliRunner().invoke(app, ["selftest", "--driver", f"serial:{em.path}"])
    assert result.exit_code == 2
    assert (
        f"protocol version {PROTOCOL_VERSION + 1}" in result.output
        and "Traceback" not in result.output
    )


# -- timing: the watchdog is fed by commands only; heartbeats keep a thinking host's link ---------


def test_a_host_that_stops_to_think_keeps_the_link_by_heartbeats() -> None:
    """Between the scan and the program the host compiles for a while: the board (following the
    host's clock) must not take that pause for a pulled cable."""
    with emulated(link_timeout_s=None) as (em, driver):
        d = driver.description
        frame = Commands.safe(d, 1)
        for k in range(5):
            driver.read(k * 0.01)
            driver.write(frame, k * 0.01)
        time.sleep(0.6)  # more than twice the watchdog timeout without a COMMAND or a POLL
        r = driver.read(0.05)
        assert em.board.trips == []
        assert int(r.fault_flags[0]) == 0
        assert driver.fault is None


def test_wall_clock_board_trips_its_watchdog_when_only_polls_arrive() -> None:
    """Like a real board: time is its own, and POLLs and HEARTBEATs do not feed the watchdog."""
    board = Board(bodies(), seed=SEED, clock="wall")
    with BoardEmulator(board) as em:
        driver = SerialDriver(em.path, report=lambda _: None)
        driver.open()
        frame = Commands.safe(driver.description, 1)
        until = time.monotonic() + 0.1
        silent_from = time.monotonic()
        while time.monotonic() < until:  # commands as fast as they go: the watchdog is fed
            silent_from = time.monotonic()  # the last command leaves no earlier than this
            driver.write(frame, 0.0)
            flags_fed = int(driver.read(0.0).fault_flags[0])
        flags = 0
        while not flags and time.monotonic() - silent_from < 2.0:
            time.sleep(0.01)
            flags = int(driver.read(0.0).fault_flags[0])
        waited = time.monotonic() - silent_from
        twin = em.board.twin
        assert twin is not None
        safe = bool(twin.truth.in_safe_state[0])
        driver.close()
    assert flags_fed == 0
    assert flags & int(BoardFault.WATCHDOG) and flags & int(BoardFault.SAFE_STATE) and safe
    # 250 ms of board (= wall) time after the last command; the upper bound allows for a loaded
    # machine's scheduling of this test's own polls.
    assert 0.24 <= waited < 1.0


def test_scan_command_over_the_emulator_reports_the_body_map_without_a_truth_column() -> None:
    import json

    _register_commands()
    expected = json.loads(CliRunner().invoke(app, ["scan", "--seed", str(SEED), "--json"]).output)
    with BoardEmulator(Board(bodies(), seed=SEED)) as em:
        result = CliRunner().invoke(app, ["scan", "--driver", f"serial:{em.path}", "--json"])
        refused = CliRunner().invoke(
            app, ["run", "quick", "--driver", f"serial:{em.path}", "--fault", "pump_dead@1"]
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcome"] == "ok" and "error_mm" not in data  # a real chair has no truth
    for name, y in expected["landmarks_y_mm"].items():
        assert data["landmarks_y_mm"][name] == pytest.approx(y, abs=1.0), name
    assert refused.exit_code == 2 and "board-emulator --fault" in refused.output


def test_a_reading_the_board_marks_missing_stops_the_driver_instead_of_reaching_the_rules() -> None:
    with emulated() as (em, driver):
        good = driver.read(0.01)
        twin = em.board.twin
        assert twin is not None
        real_read = twin.read

        def broken_sensor(now_s: float) -> Readings:
            r = real_read(now_s)
            r.heater_temp_c = np.full_like(r.heater_temp_c, np.nan)
            return r

        twin.read = broken_sensor  # type: ignore[method-assign]
        r = driver.read(0.02)
    assert driver.fault is not None and "heater_temp_c" in driver.fault
    assert r is good and r.time_s == 0.01  # the old readings, ageing: driver_lost follows


def test_no_board_on_the_port_is_a_clear_error_not_a_hang() -> None:
    board = Board(bodies(), seed=SEED)
    em = BoardEmulator(board)  # opened but not serving: nothing answers
    try:
        driver = SerialDriver(em.path, open_timeout_s=0.2)
        t0 = time.monotonic()
        with pytest.raises(LinkError, match="no answer from a board"):
            driver.open()
        assert time.monotonic() - t0 < 1.0
        driver.close()
    finally:
        em.stop()


def _ages_in_real_time(delay_ms: int, seconds: float = 1.0) -> list[float]:
    """Drive the board at 100 Hz of wall time through a link that delays its answers."""
    with emulated(link_faults=[parse_link_fault(f"delay={delay_ms}")], reply_timeout_s=0.02) as (
        _,
        driver,
    ):
        frame = Commands.safe(driver.description, 1)
        t0 = time.monotonic()
        ages = []
        for k in range(int(seconds * 100)):
            while time.monotonic() - t0 < k * 0.01:
                time.sleep(0.001)
            now = time.monotonic() - t0
            r = driver.read(now)
            driver.write(frame, now)
            if now > 0.3:
                ages.append(now - r.time_s)
        assert driver.fault is None
    return ages


def test_a_slow_link_gives_readings_as_old_as_it_is_slow() -> None:
    """Late answers are still used, stamped with their own POLL's time: the supervisor sees their
    true age (and latches ``driver_lost`` once it passes 0.1 s)."""
    slow = _ages_in_real_time(40)
    assert 0.03 <= float(np.median(slow)) < 0.1
    too_slow = _ages_in_real_time(150, seconds=0.8)
    assert float(np.median(too_slow)) > 0.1
