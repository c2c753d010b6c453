"""Command parsing, state payloads and broker URLs, without a broker: anything on the wire is
either a well-formed command or a refusal with a reason, never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.mqtt.commands import (
    MAX_COMMAND_AGE_S,
    Incoming,
    Parsed,
    RefusalError,
    parse,
)
from openchair.mqtt.settings import BrokerSettings, BrokerSettingsError
from openchair.mqtt.telemetry import StateView, change_key
from openchair.mqtt.topics import COMMANDS
from openchair.service.frame import StateFrame

NOW = datetime(2026, 11, 25, 18, 0, 0, tzinfo=UTC)
names = st.one_of(st.sampled_from(COMMANDS), st.text(max_size=12))
payloads = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=80).map(str.encode),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=300, deadline=None)
@given(names, payloads, st.booleans())
def test_any_message_is_a_command_or_a_refusal(name: str, payload: bytes, retained: bool) -> None:
    try:
        parsed = parse(Incoming(name, payload, retained), NOW)
    except RefusalError as refusal:
        assert str(refusal)  # always a reason a person can read
        return
    assert isinstance(parsed, Parsed) and parsed.command in COMMANDS
    assert not retained
    if parsed.command == "intensity":
        assert isinstance(parsed.value, int) and not isinstance(parsed.value, bool)
    if parsed.command == "heat":
        assert parsed.value in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100_000).filter(lambda b: b"ts" not in b))
def test_a_stop_is_always_taken_whatever_its_payload(payload: bytes) -> None:
    assert parse(Incoming("stop", payload, False), NOW) == Parsed("stop")


def test_retained_and_stale_stops_are_not() -> None:
    with pytest.raises(RefusalError, match="retained"):
        parse(Incoming("stop", b"PRESS", True), NOW)
    old = (NOW - timedelta(seconds=MAX_COMMAND_AGE_S + 1)).isoformat()
    with pytest.raises(RefusalError, match="stale"):
        parse(Incoming("stop", json.dumps({"ts": old}).encode(), False), NOW)
    fresh = (NOW - timedelta(seconds=2)).timestamp()
    assert parse(Incoming("stop", json.dumps({"ts": fresh}).encode(), False), NOW).command == "stop"


@pytest.mark.parametrize(
    ("payload", "value"),
    [(b"3", 3), (b"3.0", 3), (b" 5 ", 5), (b'{"value": 2}', 2), (b'{"value": "4"}', 4)],
)
def test_intensity_accepts_what_home_assistant_sends(payload: bytes, value: int) -> None:
    assert parse(Incoming("intensity", payload, False), NOW) == Parsed("intensity", value)


def frame(**kw: object) -> StateFrame:
    base: dict[str, object] = {
        "seq": 1,
        "chair_time_s": 0.0,
        "activity": "session",
        "state": "running",
        "person": "ana",
        "seated": True,
        "program_id": "quick",
        "program_name": "Quick",
        "session": "s1",
        "step_index": 0,
        "step_name": "warm up",
        "time_left_s": 600.0,
        "intensity": 3,
        "heaters": (("lumbar", 31.5, True),),
        "roller_force_n": 40.0,
    }
    base.update(kw)
    return StateFrame(**base)  # type: ignore[arg-type]


def test_end_time_is_a_timestamp_that_moves_only_when_the_session_does() -> None:
    view = StateView()
    first = view.payload(frame(), NOW)
    assert first["ends_at"] == "2026-11-25T18:10:00+00:00"
    # A second later with a second less to go: the same end time, so no new message.
    later = view.payload(frame(time_left_s=599.0), NOW + timedelta(seconds=1))
    assert later["ends_at"] == first["ends_at"]
    assert change_key(later) == change_key(first)
    # Paused for a minute: the end moves by a minute, which is a change.
    paused = view.payload(frame(time_left_s=599.0), NOW + timedelta(seconds=61))
    assert paused["ends_at"] == "2026-11-25T18:11:00+00:00"
    assert change_key(paused) != change_key(first)
    idle = view.payload(frame(activity="idle", state="done", time_left_s=None), NOW)
    assert idle["ends_at"] is None


def test_state_payload_says_seated_never_who_and_uses_the_clock_pace() -> None:
    view = StateView(pace=10.0)
    f = frame()
    view.observe(f, NOW)
    p = view.payload(f, NOW)
    assert p["seated"] == "ON" and "ana" not in json.dumps(p)
    assert p["ends_at"] == "2026-11-25T18:01:00+00:00"  # 600 chair seconds at 10x
    assert p["heat"] == "ON" and p["temperature_c"] == 31.5 and p["peak_force_n"] == 40.0
    assert p["sessions_today"] == 1


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user"),
    [
        ("mqtt://broker.local", "broker.local", 1883, False, None),
        ("broker.local:1884", "broker.local", 1884, False, None),
        ("mqtts://chair:s%40cret@broker.local", "broker.local", 8883, True, "chair"),
    ],
)
def test_broker_urls(url: str, host: str, port: int, tls: bool, user: str | None) -> None:
    s = BrokerSettings.from_url(url)
    assert (s.host, s.port, s.tls, s.username) == (host, port, tls, user)
    assert "cret" not in s.describe()


@pytest.mark.parametrize("url", ["http://x", "mqtt://", "mqtt://x:port"])
def test_bad_broker_urls_say_what_to_give(url: str) -> None:
    with pytest.raises(BrokerSettingsError):
        BrokerSettings.from_url(url)
    with pytest.raises(BrokerSettingsError, match="does not exist"):
        BrokerSettings.from_url("mqtt://x", tls_ca="/no/such/ca.crt")


def test_a_refusal_never_names_the_person_seated() -> None:
    from openchair.mqtt.bridge import _without_name
    from openchair.service.answer import Answer

    answer = _without_name(Answer.refused("no body map for ana yet: scan first"), "ana")
    assert answer.reason == "no body map for the person seated yet: scan first"
    assert not answer.accepted
    kept = Answer.ok("Quick started", session="s1")
    assert _without_name(kept, "ana") is kept and _without_name(kept, None) is kept
