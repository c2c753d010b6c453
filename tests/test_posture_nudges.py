"""Posture nudges through the break reminders' channels, on recorded landmark sequences.

The sequences are those of ``test_posture_monitor`` (10 frames/s, a person upright, then
slouching); the desktop channel is the break helper's ``show(title, body)``, injected here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from openchair.care.nudges import NUDGE_TITLE, Nudge, NudgeChannel, NudgeGate
from openchair.care.settings import BreakRules, PlanSettings
from openchair.posture import PostureEvent, PostureEventKind, PostureMonitor, SlouchReason
from openchair.posture.landmarks import PoseFrame
from openchair.web.posture_push import PushError, push_nudge
from test_posture_monitor import T0, calibrated, person, session  # Wednesday 09:00 UTC


def rules(**kw: object) -> PlanSettings:
    return PlanSettings(timezone="UTC", breaks=BreakRules.model_validate(kw))


def upright(t: float) -> PoseFrame:
    return person(t)


def slouched(t: float) -> PoseFrame:
    return person(t, drop=0.2)


def watch(
    frames: list[PoseFrame],
    settings: PlanSettings | None = None,
    quiet: Callable[[], bool] = lambda: False,
) -> tuple[list[tuple[str, str]], NudgeChannel, list[PostureEvent]]:
    """Run the monitor over ``frames`` and hand every event to the desktop channel."""
    s = settings or rules()
    shown: list[tuple[str, str]] = []
    channel = NudgeChannel(NudgeGate(lambda: s, quiet), lambda t, b: shown.append((t, b)))
    monitor = PostureMonitor(calibrated(), tz=UTC)
    events = [e for f in frames for e in monitor.observe(f)]
    for e in events:
        channel.handle(e)
    return shown, channel, events


def test_a_sustained_slouch_reaches_the_person_once() -> None:
    frames = session([(120, upright), (300, slouched), (60, upright)])
    shown, channel, events = watch(frames)
    assert [e.kind for e in events] == [PostureEventKind.NUDGE]
    assert len(shown) == 1
    title, body = shown[0]
    assert title == NUDGE_TITLE
    assert body.startswith("For 1 minute your head has come forward and you have sunk down")
    assert channel.shown[0].at == datetime.fromtimestamp(events[0].t_s, UTC)


def test_a_short_slouch_reaches_nobody() -> None:
    shown, _, events = watch(session([(120, upright), (40, slouched), (120, upright)]))
    assert events == [] and shown == []


def test_a_long_slouch_is_rate_limited_by_the_nudge_gap() -> None:
    frames = session([(120, upright), (900, slouched), (30, upright)])
    shown, channel, events = watch(frames)
    assert len(events) == 2  # the monitor nudges at 1 and 11 minutes
    assert len(shown) == 1  # at most one every 20 minutes reaches the person
    (held,) = channel.held
    assert held[1] == "a nudge was shown 10 minutes ago (at most one every 20 min)"
    shown5, _, _ = watch(frames, rules(nudge_gap_minutes=5))
    assert len(shown5) == 2


@pytest.mark.parametrize(
    ("settings", "quiet", "start", "why"),
    [
        (rules(), lambda: True, T0, "do-not-disturb is on"),
        (rules(posture_nudges=False), lambda: False, T0, "turned off"),
        (rules(), lambda: False, T0 + 10 * 3600, "outside working hours"),  # 19:00
        (rules(), lambda: False, T0 + 4 * 86400, "outside working hours"),  # Sunday
    ],
)
def test_nudges_keep_to_the_break_rules(
    settings: PlanSettings, quiet: Callable[[], bool], start: float, why: str
) -> None:
    frames = session([(30, upright), (120, slouched)], t0=start)
    shown, channel, events = watch(frames, settings, quiet)
    assert len(events) == 1 and shown == []
    assert why in channel.held[0][1]


def test_a_break_waiting_holds_the_nudge_back() -> None:
    gate = NudgeGate(rules)
    at = datetime.fromtimestamp(T0, UTC)
    assert gate.admit(at, break_waiting=True) == "a movement break is waiting"
    assert gate.admit(at) is None
    assert gate.admit(at + timedelta(minutes=19)) is not None
    assert gate.admit(at + timedelta(minutes=20)) is None


def test_only_nudges_are_nudges() -> None:
    away = PostureEvent(PostureEventKind.AWAY, T0)
    with pytest.raises(ValueError, match="not a nudge"):
        Nudge.from_event(away)
    shown: list[tuple[str, str]] = []
    channel = NudgeChannel(NudgeGate(rules), lambda t, b: shown.append((t, b)))
    assert channel.handle(away) is None and shown == []


def test_the_watcher_sends_a_nudge_as_numbers() -> None:
    sent: list[tuple[str, bytes, str]] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return b'{"shown": true, "held": null}'

    def send(req: object, timeout_s: float) -> Answer:
        sent.append((req.full_url, req.data, req.get_header("Authorization")))  # type: ignore[attr-defined]
        return Answer()

    e = PostureEvent(PostureEventKind.NUDGE, T0, (SlouchReason.HEAD_FORWARD,), 61.0)
    assert push_nudge("http://chair:8580/", "tok", "Ana", e, send=send)["shown"] is True
    ((url, data, auth),) = sent
    assert url == "http://chair:8580/api/posture/nudges" and auth == "Bearer tok"
    assert data is not None and b"head_forward" in data and b"Ana" in data
    with pytest.raises(PushError, match="OPENCHAIR_TOKEN"):
        push_nudge("http://chair:8580", "", "Ana", e, send=send)


def test_watch_hands_each_nudge_to_the_desktop_and_says_what_became_of_it() -> None:
    from openchair.cli.posture_cmd import _deliver

    shown: list[tuple[str, str]] = []
    channel = NudgeChannel(NudgeGate(rules), lambda t, b: shown.append((t, b)))
    first = PostureEvent(PostureEventKind.NUDGE, T0 + 60, (SlouchReason.SLUMPED,), 60.0)
    again = PostureEvent(PostureEventKind.NUDGE, T0 + 660, (SlouchReason.SLUMPED,), 660.0)
    away = PostureEvent(PostureEventKind.AWAY, T0 + 700)
    out = _deliver([first, again, away], channel, None, "", None, True)
    assert out[id(first)] == {"desktop": "shown"}
    assert "at most one every 20 min" in out[id(again)]["desktop"]
    assert id(away) not in out and len(shown) == 1
    # an unreachable chair costs a note on the nudge, not the watch
    late = PostureEvent(PostureEventKind.NUDGE, T0 + 3000, (), 60.0)
    out = _deliver([late], None, "ftp://chair", "tok", "Ana", True)
    assert out[id(late)]["chair"].startswith("not sent:")


def test_the_watcher_sends_comings_and_goings_as_numbers() -> None:
    from openchair.web.posture_push import push_presence

    sent: list[bytes] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return b'{"away_since": null}'

    def send(req: object, timeout_s: float) -> Answer:
        assert req.full_url.endswith("/api/posture/presence")  # type: ignore[attr-defined]
        sent.append(req.data)  # type: ignore[attr-defined]
        return Answer()

    push_presence("http://chair", "tok", "Ana", PostureEvent(PostureEventKind.AWAY, T0), send=send)
    push_presence(
        "http://chair", "tok", "Ana", PostureEvent(PostureEventKind.BACK, T0 + 400), send=send
    )
    assert [b'"away": true' in s for s in sent] == [True, False]
    with pytest.raises(ValueError, match="not a presence"):
        push_presence("http://chair", "tok", "Ana", PostureEvent(PostureEventKind.NUDGE, T0))
