"""The posture measures, calibration and event logic on recorded landmark sequences.

Each sequence imitates a real session at 10 frames/s: a person sitting upright, slouching for a
while, leaving the desk and coming back, with landmark jitter and dropped detections like those a
webcam pose model gives. Time comes only from the frames, so every run is the same.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from openchair.posture import (
    Calibration,
    CalibrationError,
    CalibrationFileError,
    PoseFrame,
    PostureConfig,
    PostureEvent,
    PostureEventKind,
    PostureMonitor,
    SlouchReason,
    ViewMode,
)
from openchair.posture.calibration import (
    calibrate,
    calibration_path,
    load_calibration,
    save_calibration,
)
from openchair.posture.client import WorkerError, WorkerProcess, parse_worker_line
from openchair.posture.landmarks import N_LANDMARKS, LandmarkFormatError, Lm
from openchair.posture.metrics import deviation, frontal_metrics, side_metrics
from openchair.posture.preview import braille_skeleton, render_view

W, H = 640, 480
SW = 280.0  # shoulder width in pixels of the recorded person
FPS = 10.0
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()

# The upright person, in pixels (x right, y down), facing the camera: their left is image right.
_UPRIGHT = {
    Lm.NOSE: (320.0, 235.0),
    Lm.LEFT_EYE: (350.0, 212.0),
    Lm.RIGHT_EYE: (290.0, 212.0),
    Lm.LEFT_EAR: (380.0, 222.0),
    Lm.RIGHT_EAR: (260.0, 222.0),
    Lm.MOUTH_LEFT: (338.0, 262.0),
    Lm.MOUTH_RIGHT: (302.0, 262.0),
    Lm.LEFT_SHOULDER: (460.0, 390.0),
    Lm.RIGHT_SHOULDER: (180.0, 390.0),
}
_HEAD = (Lm.NOSE, Lm.LEFT_EYE, Lm.RIGHT_EYE, Lm.LEFT_EAR, Lm.RIGHT_EAR, Lm.MOUTH_LEFT,
         Lm.MOUTH_RIGHT)  # fmt: skip
_SHOULDERS = (Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER)


def person(
    t: float,
    *,
    drop: float = 0.0,
    shrug: float = 0.0,
    slump: float = 0.0,
    lean_deg: float = 0.0,
    closer: float = 1.0,
    noise_px: float = 0.0,
    rng: np.random.Generator | None = None,
) -> PoseFrame:
    """A frontal frame: head lowered by ``drop``, shoulders raised by ``shrug`` and the whole upper
    body lowered by ``slump`` shoulder widths, the body tilted ``lean_deg`` about the hips, and
    ``closer`` times nearer the camera."""
    lm = np.zeros((N_LANDMARKS, 4))
    lm[:, 3] = 0.05  # everything not placed (arms, legs) is out of view
    for i, (x, y) in _UPRIGHT.items():
        y += drop * SW if i in _HEAD else 0.0
        y -= shrug * SW if i in _SHOULDERS else 0.0
        y += slump * SW
        a = math.radians(lean_deg)
        dx, dy = x - 320.0, y - 600.0  # tilt about the hips, below the frame
        x, y = (
            320.0 + dx * math.cos(a) - dy * math.sin(a),
            600.0 + dx * math.sin(a) + dy * math.cos(a),
        )
        x, y = W / 2 + (x - W / 2) * closer, H / 2 + (y - H / 2) * closer
        if noise_px and rng is not None:
            x, y = x + rng.normal(0, noise_px), y + rng.normal(0, noise_px)
        lm[i] = (x / W, y / H, 0.0, 0.99)
    return PoseFrame(t_s=t, width_px=W, height_px=H, landmarks=lm)


def nobody(t: float) -> PoseFrame:
    return PoseFrame(t_s=t, width_px=W, height_px=H, landmarks=None)


Segment = tuple[float, Callable[[float], PoseFrame]]


def session(segments: Iterable[Segment], t0: float = T0) -> list[PoseFrame]:
    """Frames at 10/s through consecutive (duration, frame maker) segments."""
    frames, t = [], t0
    for duration, make in segments:
        for k in range(round(duration * FPS)):
            frames.append(make(t + k / FPS))
        t += duration
    return frames


def calibrated(noise_px: float = 0.0, seed: int = 0) -> Calibration:
    rng = np.random.default_rng(seed)
    frames = session([(3.0, lambda t: person(t, noise_px=noise_px, rng=rng))], t0=T0 - 100)
    return calibrate(frames, ViewMode.FRONTAL)


def run(
    frames: list[PoseFrame], config: PostureConfig | None = None
) -> tuple[PostureMonitor, list[PostureEvent]]:
    mon = PostureMonitor(calibrated(), config, tz=UTC)
    events = [e for f in frames for e in mon.observe(f)]
    return mon, events


def kinds(events: list[PostureEvent]) -> list[str]:
    return [e.kind.value for e in events]


# -- measures ---------------------------------------------------------------------------------


def test_each_posture_change_moves_its_own_measure() -> None:
    base = frontal_metrics(person(0))
    assert base is not None

    def dev(**kw: float) -> dict[str, float]:
        m = frontal_metrics(person(0, **kw))  # type: ignore[arg-type]
        assert m is not None
        return deviation(m, base).__dict__

    d = dev(drop=0.15)
    assert d["head_drop"] == pytest.approx(0.15, abs=1e-9) and abs(d["shoulders_raised"]) < 1e-9
    assert d["head_sink"] == pytest.approx(0.15, abs=1e-9)
    d = dev(shrug=0.12)  # a shrug is shoulders, not the head
    assert d["shoulders_raised"] == pytest.approx(0.12, abs=1e-9)
    assert d["head_drop"] == pytest.approx(0.0, abs=1e-9) and abs(d["head_sink"]) < 1e-9
    d = dev(slump=0.2)  # sliding down in the chair: the head sinks, the neck is unchanged
    assert d["head_sink"] == pytest.approx(0.2, abs=1e-9)
    assert d["head_drop"] == pytest.approx(0.0, abs=1e-9)
    d = dev(lean_deg=-9.0)
    assert d["lean_deg"] == pytest.approx(9.0, abs=1e-6)
    d = dev(closer=1.25)  # coming closer enlarges everything: only "closer" moves
    assert d["closer"] == pytest.approx(0.25, abs=1e-9)
    assert abs(d["head_drop"]) < 1e-9 and abs(d["shoulders_raised"]) < 1e-9
    assert abs(d["head_sink"]) < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    closer=st.floats(min_value=0.7, max_value=1.4),
    drop=st.floats(min_value=-0.1, max_value=0.3),
    shrug=st.floats(min_value=0.0, max_value=0.2),
)
def test_coming_closer_changes_only_the_distance(closer: float, drop: float, shrug: float) -> None:
    """Whatever the posture, moving towards or away from the camera leaves the head and shoulder
    measures as they were and shows only as ``closer``."""
    base = frontal_metrics(person(0))
    far = frontal_metrics(person(0, drop=drop, shrug=shrug))
    near = frontal_metrics(person(0, drop=drop, shrug=shrug, closer=closer))
    assert base is not None and far is not None and near is not None
    d_far, d_near = deviation(far, base), deviation(near, base)
    assert d_near.closer == pytest.approx(closer - 1.0, abs=1e-9)
    for name in ("head_drop", "head_sink", "shoulders_raised", "lean_deg"):
        assert getattr(d_near, name) == pytest.approx(getattr(d_far, name), abs=1e-9)


def test_hidden_shoulders_or_nobody_give_no_measure() -> None:
    f = person(0)
    assert f.landmarks is not None
    f.landmarks[Lm.LEFT_SHOULDER, 3] = 0.2
    assert frontal_metrics(f) is None
    assert frontal_metrics(nobody(0)) is None


def side_person(neck_deg: float, torso_deg: float) -> PoseFrame:
    lm = np.zeros((N_LANDMARKS, 4))
    hip = np.array([300.0, 420.0])
    sh = hip + 200 * np.array(
        [math.sin(math.radians(torso_deg)), -math.cos(math.radians(torso_deg))]
    )
    ear = sh + 90 * np.array([math.sin(math.radians(neck_deg)), -math.cos(math.radians(neck_deg))])
    for i, p in ((Lm.LEFT_HIP, hip), (Lm.LEFT_SHOULDER, sh), (Lm.LEFT_EAR, ear)):
        lm[i] = (p[0] / W, p[1] / H, 0.0, 0.95)
    return PoseFrame(t_s=0.0, width_px=W, height_px=H, landmarks=lm)


def test_side_view_inclinations_and_reasons() -> None:
    m = side_metrics(side_person(neck_deg=20.0, torso_deg=5.0))
    assert m is not None
    assert m.neck_incl_deg == pytest.approx(20.0, abs=1e-6)
    assert m.torso_incl_deg == pytest.approx(5.0, abs=1e-6)
    cal = calibrate(
        [PoseFrame(T0 + k / FPS, W, H, side_person(20, 5).landmarks) for k in range(20)],
        ViewMode.SIDE,
    )
    mon = PostureMonitor(cal, tz=UTC)
    for k in range(100):
        mon.observe(PoseFrame(T0 + 10 + k / FPS, W, H, side_person(36, 5).landmarks))
    assert mon.state.reasons == (SlouchReason.NECK_BENT,)
    for k in range(100):
        mon.observe(PoseFrame(T0 + 30 + k / FPS, W, H, side_person(20, 17).landmarks))
    assert mon.state.reasons == (SlouchReason.TORSO_BENT,)


# -- calibration --------------------------------------------------------------------------------


def test_calibration_of_a_still_person_is_their_posture() -> None:
    cal = calibrated(noise_px=1.5)
    assert cal.frames == 30
    base = frontal_metrics(person(0))
    assert base is not None
    assert isinstance(cal.baseline, type(base))
    assert cal.baseline.nose_above_px == pytest.approx(base.nose_above_px, abs=2.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: nobody(t), "nobody in view"),
        (lambda t: person(t, drop=0.2 * math.sin(t * 3)), "moved too much"),
        (lambda t: person(t, closer=1 + 0.15 * math.sin(t * 3)), "towards or away"),
    ],
)
def test_calibration_refused(make: Callable[[float], PoseFrame], message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        calibrate(session([(3.0, make)]), ViewMode.FRONTAL)


def test_calibration_refused_when_head_hidden() -> None:
    def hidden(t: float) -> PoseFrame:
        f = person(t)
        assert f.landmarks is not None
        f.landmarks[Lm.NOSE, 3] = 0.1
        return f

    with pytest.raises(CalibrationError, match="clearly visible in only 0 frames"):
        calibrate(session([(3.0, hidden)]), ViewMode.FRONTAL)
    with pytest.raises(CalibrationError, match="no frames"):
        calibrate([], ViewMode.FRONTAL)


def test_calibration_saved_in_data_dir_and_bad_files_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(tmp_path))
    path = calibration_path(ViewMode.FRONTAL)
    assert path == tmp_path / "posture" / "calibration-frontal.json"
    with pytest.raises(CalibrationFileError, match="openchair posture calibrate"):
        load_calibration(path)
    cal = calibrated()
    save_calibration(cal, path)
    assert load_calibration(path) == cal
    path.write_text("{not json")
    with pytest.raises(CalibrationFileError, match="unreadable"):
        load_calibration(path)
    bad = cal.to_dict()
    bad["baseline"]["eye_px"] = "wide"
    path.write_text(json.dumps(bad))
    with pytest.raises(CalibrationFileError, match="not a posture calibration"):
        load_calibration(path)
    bad = cal.to_dict() | {"version": 99}
    path.write_text(json.dumps(bad))
    with pytest.raises(CalibrationFileError, match="format version"):
        load_calibration(path)


# -- slouch, nudge, hysteresis -----------------------------------------------------------------


def test_noisy_upright_hour_never_nudges() -> None:
    rng = np.random.default_rng(7)

    def jittery(t: float) -> PoseFrame:
        if rng.random() < 0.05:  # the model misses the person in one frame in twenty
            return nobody(t)
        return person(t, noise_px=4.0, rng=rng)

    mon, events = run(session([(600.0, jittery)]))
    assert events == []
    (day,) = mon.summaries()
    assert day.sitting_s == pytest.approx(599.9, abs=0.5)
    assert day.slouched_s < 3.0
    assert day.away_s < 0.5


def test_brief_slouch_does_not_nudge() -> None:
    frames = session(
        [(120, lambda t: person(t)), (40, lambda t: person(t, drop=0.2)), (120, person)]
    )
    mon, events = run(frames)
    assert events == []
    (day,) = mon.summaries()
    assert day.slouched_s == pytest.approx(40.0, abs=3.0)


def test_sustained_slouch_nudges_after_a_minute_then_at_most_every_ten() -> None:
    frames = session(
        [(120, lambda t: person(t)), (900, lambda t: person(t, drop=0.2)), (60, person)]
    )
    mon, events = run(frames)
    assert kinds(events) == ["nudge", "nudge"]
    first, second = events
    onset = T0 + 120
    assert first.t_s - onset == pytest.approx(60.0, abs=2.0)
    assert first.reasons == (SlouchReason.HEAD_FORWARD, SlouchReason.SLUMPED)
    assert second.t_s - first.t_s == pytest.approx(600.0, abs=0.2)
    assert second.slouched_for_s == pytest.approx(660.0, abs=2.0)
    (day,) = mon.summaries()
    assert day.nudges == 2
    assert day.slouched_min == pytest.approx(15.0, abs=0.1)


def test_nudge_delay_is_tunable() -> None:
    frames = session([(30, lambda t: person(t)), (40, lambda t: person(t, drop=0.2))])
    _, events = run(frames, PostureConfig().with_overrides(nudge_after_s=20))
    assert kinds(events) == ["nudge"]
    assert events[0].t_s - (T0 + 30) == pytest.approx(20.0, abs=2.0)


def test_hysteresis_holds_a_slouch_hovering_under_the_threshold() -> None:
    rng = np.random.default_rng(3)
    cfg = PostureConfig()
    on, hover, off = 1.5 * cfg.head_drop_sw, 0.8 * cfg.head_drop_sw, 0.3 * cfg.head_drop_sw
    frames = session(
        [
            (30, lambda t: person(t)),
            (10, lambda t: person(t, drop=on)),
            (120, lambda t: person(t, drop=hover, noise_px=2.0, rng=rng)),
            (20, lambda t: person(t, drop=off)),
        ]
    )
    mon = PostureMonitor(calibrated(), tz=UTC)
    states = []
    for f in frames:
        mon.observe(f)
        states.append(mon.state.slouched)
    changes = sum(a != b for a, b in itertools.pairwise(states))
    assert changes == 2  # on once, off once: no flapping on the jitter
    assert states[int(60 * FPS)] and not states[-1]


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"lean_deg": 12.0}, SlouchReason.LEANING_SIDEWAYS),
        ({"closer": 1.3}, SlouchReason.TOO_CLOSE),
        ({"shrug": 0.15}, SlouchReason.SHOULDERS_RAISED),
        ({"slump": 0.2}, SlouchReason.SLUMPED),
    ],
)
def test_each_kind_of_slouch_has_its_reason(kw: dict[str, float], reason: SlouchReason) -> None:
    frames = session([(10, lambda t: person(t)), (70, lambda t: person(t, **kw))])  # type: ignore[arg-type]
    _, events = run(frames)
    assert kinds(events) == ["nudge"]
    assert events[0].reasons == (reason,)


# -- presence, breaks, streaks, days ------------------------------------------------------------


def test_leaving_for_a_break_and_coming_back() -> None:
    frames = session([(300, lambda t: person(t)), (180, nobody), (300, lambda t: person(t))])
    mon, events = run(frames)
    assert kinds(events) == ["away", "back"]
    away, back = events
    assert away.t_s == pytest.approx(T0 + 299.9)  # when last seen, not when noticed
    assert back.t_s == pytest.approx(T0 + 480.0)
    assert back.away_for_s == pytest.approx(180.1, abs=0.01)
    assert back.was_break
    (day,) = mon.summaries()
    assert day.away_s == pytest.approx(180.1, abs=0.2)
    assert day.sitting_s == pytest.approx(599.9, abs=0.2)
    assert day.breaks == 1
    assert [round(s.duration_s) for s in day.streaks] == [300, 300]


def test_short_absences_do_not_end_the_sitting_streak() -> None:
    frames = session(
        [
            (200, lambda t: person(t)),
            (3, nobody),  # reaching for something: not away at all
            (200, lambda t: person(t)),
            (20, nobody),  # fetching a glass of water: away, but no break
            (200, lambda t: person(t)),
        ]
    )
    mon, events = run(frames)
    assert kinds(events) == ["away", "back"]
    assert not events[1].was_break
    assert events[1].away_for_s == pytest.approx(20.1, abs=0.01)
    (day,) = mon.summaries()
    assert day.breaks == 0
    assert len(day.streaks) == 1 and day.streaks[0].duration_s == pytest.approx(623.0, abs=0.2)
    assert day.away_s == pytest.approx(20.0, abs=0.2)  # the 3 s occlusion counts as sitting


def test_slouch_timer_restarts_after_an_absence() -> None:
    slouch = lambda t: person(t, drop=0.2)  # noqa: E731
    frames = session([(10, person), (50, slouch), (30, nobody), (50, slouch)])
    _, events = run(frames)
    assert kinds(events) == ["away", "back"]  # 50 s + 50 s of slouching is not one minute


def test_days_are_split_and_a_stalled_worker_is_unobserved() -> None:
    late = datetime(2026, 11, 25, 23, 59, tzinfo=UTC).timestamp()
    frames = session([(120, lambda t: person(t))], t0=late)
    frames += session([(60, lambda t: person(t))], t0=late + 180)  # 60 s without frames
    mon, _ = run(frames)
    d1, d2 = mon.summaries()
    assert (d1.date, d2.date) == ("2026-11-25", "2026-11-26")
    assert d1.sitting_s == pytest.approx(60.0, abs=0.01)
    assert d2.unobserved_s == pytest.approx(60.1, abs=0.01)
    assert d1.sitting_s + d2.sitting_s == pytest.approx(119.9 + 59.9, abs=0.01)
    summary = json.loads(json.dumps(d2.to_dict()))
    assert summary["unobserved_min"] == pytest.approx(1.0, abs=0.01)


def test_a_long_pause_of_the_monitor_ends_the_streak_without_inventing_a_break() -> None:
    frames = session([(100, lambda t: person(t))])
    frames += session([(100, lambda t: person(t))], t0=T0 + 3700)  # laptop asleep for an hour
    mon, events = run(frames)
    assert events == []  # nobody was seen leaving or coming back
    (day,) = mon.summaries()
    assert [round(s.duration_s) for s in day.streaks] == [100, 100]
    assert day.breaks == 0
    assert day.unobserved_s == pytest.approx(3600.1, abs=0.01)


def test_frames_out_of_order_are_refused() -> None:
    mon = PostureMonitor(calibrated(), tz=UTC)
    mon.observe(person(T0 + 1))
    with pytest.raises(ValueError, match="out of order"):
        mon.observe(person(T0))


def test_event_json_is_plain_data() -> None:
    e = PostureEvent(PostureEventKind.NUDGE, 5.0, reasons=(SlouchReason.TOO_CLOSE,))
    assert json.loads(e.to_json())["reasons"] == ["too_close"]


# -- the worker's line format -------------------------------------------------------------------


def test_landmark_lines_round_trip() -> None:
    f = person(T0, drop=0.1)
    g = PoseFrame.from_json(f.to_json())
    assert g.t_s == pytest.approx(f.t_s) and (g.width_px, g.height_px) == (W, H)
    assert g.landmarks is not None and f.landmarks is not None
    assert np.allclose(g.landmarks, f.landmarks, atol=1e-4)
    assert PoseFrame.from_json(nobody(3.0).to_json()).landmarks is None


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"t": 1, "w": 640, "h": 480}',
        '{"t": 1, "w": 640, "h": 480, "lm": null, "jpeg": "..."}',
        '{"t": true, "w": 640, "h": 480, "lm": null}',
        '{"t": 1, "w": -640, "h": 480, "lm": null}',
        '{"t": 1, "w": 640, "h": 480, "lm": [[0, 0, 0, 1]]}',
        '{"t": 1, "w": 640, "h": 480, "lm": ' + json.dumps([[0, 0, 0, "x"]] * 33) + "}",
        '{"t": 1, "w": 640, "h": 480, "lm": ' + json.dumps([[0, 0, 0, 1e999]] * 33) + "}",
    ],
)
def test_malformed_landmark_lines_are_refused(line: str) -> None:
    with pytest.raises(LandmarkFormatError):
        PoseFrame.from_json(line)
    with pytest.raises(WorkerError):
        parse_worker_line(line)


def test_worker_error_line_becomes_a_clear_error() -> None:
    with pytest.raises(WorkerError, match="cannot open camera 3"):
        parse_worker_line('{"error": "cannot open camera 3"}')


def test_settings_are_checked() -> None:
    assert PostureConfig().with_overrides(nudge_after_s=30).nudge_after_s == 30
    with pytest.raises(ValueError, match="unknown"):
        PostureConfig().with_overrides(nudge_after=30)
    with pytest.raises(ValueError, match="positive"):
        PostureConfig().with_overrides(nudge_after_s=-1)


# -- invariants and the view ---------------------------------------------------------------------

_KINDS = {
    "upright": lambda t: person(t),
    "slouched": lambda t: person(t, drop=0.2),
    "nobody": nobody,
}


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_KINDS)),
            st.floats(min_value=0.3, max_value=120.0),
            st.floats(min_value=0.0, max_value=30.0),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_second_is_accounted_once(segments: list[tuple[str, float, float]]) -> None:
    """Sitting, away and unobserved time add up to the session's length, less at most the few
    seconds still undecided at its end; slouched time is part of sitting time."""
    frames: list[PoseFrame] = []
    t = T0
    for kind, duration, gap in segments:
        frames += session([(duration, _KINDS[kind])], t0=t)
        t += duration + gap
    mon, events = run(frames)
    total = frames[-1].t_s - frames[0].t_s
    days = mon.summaries()
    counted = sum(d.sitting_s + d.away_s + d.unobserved_s for d in days)
    cfg = PostureConfig()
    assert total - max(cfg.away_after_s, cfg.back_after_s) - 1e-6 <= counted <= total + 1e-6
    assert all(d.slouched_s <= d.sitting_s + 1e-9 for d in days)
    # away and back alternate, starting with away
    presence = [k for k in kinds(events) if k != "nudge"]
    assert presence == ["away", "back"] * (len(presence) // 2) + ["away"] * (len(presence) % 2)


def test_preview_draws_the_skeleton_not_the_image() -> None:
    lines = braille_skeleton(person(T0))
    assert len(lines) == 13 and all(len(x) == 34 for x in lines)
    assert all(0x2800 <= ord(c) <= 0x28FF for x in lines for c in x)  # braille dots only
    assert sum(c != "\u2800" for x in lines for c in x) > 20  # something is drawn
    assert all(c == "\u2800" for x in braille_skeleton(nobody(T0)) for c in x)
    mon, _ = run(session([(70, lambda t: person(t, drop=0.2))]))
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(render_view(person(T0), mon.state, [], "posture", T0))
    text = console.export_text()
    assert "head forward" in text and "slouched" in text
    assert max(len(x) for x in text.splitlines()) <= 80


# -- a misbehaving worker ----------------------------------------------------------------------


def _fake_worker(code: str, **kw: float) -> WorkerProcess:
    return WorkerProcess([sys.executable, "-c", code], **kw)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("print('garbage')", "not JSON"),
        ('print(\'{"t": 1, "w": 2, "h": 2, "lm": null, "jpeg": 1}\')', "unexpected line"),
        ("import sys; sys.exit(3)", "status 3"),
        ("import time; time.sleep(30)", "sent nothing for 1 s"),
    ],
)
def test_a_misbehaving_worker_is_a_clear_error_not_a_hang(code: str, message: str) -> None:
    with (
        _fake_worker(code, start_timeout_s=1.0) as w,
        pytest.raises(WorkerError, match=message),
    ):
        list(w.frames())


def test_a_worker_that_stalls_mid_stream_is_noticed() -> None:
    line = nobody(T0).to_json()
    code = f"import time; print({line!r}, flush=True); time.sleep(30)"
    got: list[PoseFrame] = []
    with _fake_worker(code, frame_timeout_s=0.5) as w, pytest.raises(WorkerError, match="nothing"):
        got.extend(w.frames())
    assert len(got) == 1 and not got[0].person


def test_worker_without_the_model_says_how_to_install_it(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    video.write_bytes(b"")
    code = (
        "import sys; sys.modules['mediapipe'] = None; "
        "from openchair.posture.worker import main; "
        f"sys.exit(main(['--video', {str(video)!r}]))"
    )
    with _fake_worker(code) as w, pytest.raises(WorkerError, match=r"run scripts/bootstrap\.sh"):
        list(w.frames())
