"""Live commands are checked when they are made: a bad value from a remote, an app or a file is
refused where it comes in, and never raises out of the control loop in the middle of a massage."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.body.model import BodyParams
from openchair.control import LiveCommand, Session
from openchair.control.session import (
    COMMAND_KINDS,
    SHOULDER_NUDGE_STEP_MM,
    SHOULDER_NUDGE_STEPS_MAX,
    CommandError,
    State,
)
from openchair.hardware.twin import TwinChair
from openchair.programs import parse_program

PROGRAM = parse_program(
    """name = "Knead"
description = "Kneading the lumbar."
minutes = 0.25

[[step]]
seconds = 15
technique = "knead"
zone = "lumbar"
depth = 0.6
""",
    "knead.toml",
)


def make_session() -> Session:
    bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    return Session(PROGRAM, bodies.true_maps(), TwinChair(bodies, seeds=[0]))


@cache
def shared_session() -> Session:
    """One session for every example: commands pile up on it as they would in a long massage."""
    return make_session()


def run_ticks(session: Session, n: int) -> None:
    for _ in range(n):
        session.tick(session.ticks * session.tick_s)


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("focus", "elbow", "unknown zone 'elbow'"),
        ("focus", "T7..ear", "unknown landmark 'ear'"),
        ("focus", 3, "not a zone name"),
        ("intensity", "abc", "not a whole number of steps"),
        ("intensity", math.nan, "not a whole number of steps"),
        ("intensity", True, "not a whole number of steps"),
        ("intensity", 99, "outside -4..4"),
        ("shoulder", math.nan, "not a whole number of steps"),
        ("shoulder", 1.5, "not a whole number of steps"),
        ("shoulder", -6, "outside -5..5"),
        ("heat", "on", "not on or off"),
        ("pause", 1, "takes no value"),
        ("dance", None, "not a command"),
    ],
)
def test_a_command_with_a_bad_value_is_refused_when_made(
    kind: str, value: object, words: str
) -> None:
    with pytest.raises(CommandError, match=words.replace(".", r"\.")):
        LiveCommand(kind, value)  # type: ignore[arg-type]


def test_a_refused_command_leaves_the_massage_running() -> None:
    session = make_session()
    run_ticks(session, 50)
    for kind, value in (("focus", "elbow"), ("intensity", "abc"), ("shoulder", math.nan)):
        with pytest.raises(CommandError):
            session.command(LiveCommand(kind, value))  # type: ignore[arg-type]
    with pytest.raises(CommandError, match="not a live command"):
        session.command(("focus", "elbow"))  # type: ignore[arg-type]
    run_ticks(session, 50)
    assert session.state[0] == State.RUNNING and session.focus is None


def test_shoulder_nudges_stop_at_their_bound_instead_of_failing_mid_massage() -> None:
    session = make_session()
    shoulder = float(session.maps.landmarks_y_mm[0, LANDMARK_INDEX["shoulder"]])
    for _ in range(10):
        session.command(LiveCommand("shoulder", SHOULDER_NUDGE_STEPS_MAX))
    run_ticks(session, 2)
    most = SHOULDER_NUDGE_STEPS_MAX * SHOULDER_NUDGE_STEP_MM
    assert session.shoulder_nudge_mm == most
    assert np.isclose(session.maps.landmarks_y_mm[0, LANDMARK_INDEX["shoulder"]], shoulder + most)
    session.command(LiveCommand("shoulder", -1))
    run_ticks(session, 1)
    assert session.shoulder_nudge_mm == most - SHOULDER_NUDGE_STEP_MM


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from([*COMMAND_KINDS, "nudge", ""]),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(["lumbar", "T7..L3", "neck", "full-back", "C7", "shoulders"]),
    ),
)
def test_any_command_is_either_refused_clearly_or_carried_out_by_a_tick(
    kind: str, value: object
) -> None:
    try:
        cmd = LiveCommand(kind, value)  # type: ignore[arg-type]
    except CommandError as err:
        assert str(err).split(":")[0]  # names the command or the value
        return
    session = shared_session()
    session.command(cmd)
    session.tick(session.ticks * session.tick_s)  # must not raise
