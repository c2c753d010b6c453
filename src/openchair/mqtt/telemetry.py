"""From the service's state frames to what the chair publishes: pure, clock passed in.

The state payload is small and flat (Home Assistant's templates read ``value_json.<key>``; the
fleet view reads the same keys). It never names who is seated: ``seated`` is yes or no. The end
time is wall-clock ISO-8601 with the time zone, so Home Assistant counts down by itself; it is
republished only when it moves by more than :data:`ENDS_AT_SLACK_S` (a pause), not every second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openchair.safety.supervisor import OCCUPANCY_STOP, REMOTE_STOP, STOP_BUTTON
from openchair.service.frame import EventInfo, StateFrame

ENDS_AT_SLACK_S = 2.0
NOT_FAULTS = frozenset({STOP_BUTTON, REMOTE_STOP, OCCUPANCY_STOP})
"""Latched stops that a person caused (a stop, leaving the chair): the chair is stopped, but
nothing is wrong with it, so the Fault entity stays off."""


def fault_rule(frame: StateFrame) -> str | None:
    """The latched rule when it is a fault (not a stop someone asked for)."""
    rule = frame.latched
    return rule if rule is not None and rule not in NOT_FAULTS else None


SESSION_STATES_ACTIVE = ("running", "paused", "finishing")


def iso(t: datetime) -> str:
    """ISO-8601 with the zone, whole seconds (Home Assistant's timestamp sensor needs a zone)."""
    return t.replace(microsecond=0).isoformat()


def iso_ms(t: datetime) -> str:
    """ISO-8601 with the zone, to the millisecond: when a message was sent (lag figures)."""
    return t.isoformat(timespec="milliseconds")


def _round(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


@dataclass
class StateView:
    """Turns frames into state payloads; keeps what must survive between frames: the end time
    last published, and the peak force of the running session."""

    pace: float = 1.0
    """Chair seconds per wall second (1 for a real chair; a simulated clock's pace)."""
    chosen_program: str | None = None
    """The program name picked in Home Assistant for the next start."""
    chosen_intensity: int | None = None
    """The intensity set in Home Assistant for the next start (None: the person's default)."""
    _ends_at: datetime | None = None
    _session: str | None = None
    _peak_force_n: float = 0.0
    _last_peak: float | None = None
    sessions_today: int = 0
    _today: str = ""
    _counted: set[str] = field(default_factory=set)

    def observe(self, frame: StateFrame, now: datetime) -> None:
        """Follow the session (peak force, sessions started today) from every frame."""
        day = now.date().isoformat()
        if day != self._today:
            self._today, self.sessions_today = day, 0
            self._counted.clear()
        if frame.session is not None and frame.session != self._session:
            self._session = frame.session
            self._peak_force_n = 0.0
            if frame.session not in self._counted:
                self._counted.add(frame.session)
                self.sessions_today += 1
        if frame.activity == "session" and math.isfinite(frame.roller_force_n):
            self._peak_force_n = max(self._peak_force_n, frame.roller_force_n)

    def set_session_peak(self, peak_force_n: float) -> None:
        """The session's recorded peak (every tick), which replaces the sampled one at its end."""
        self._peak_force_n = max(self._peak_force_n, peak_force_n)

    def payload(self, frame: StateFrame, now: datetime) -> dict[str, object]:
        active = frame.state in SESSION_STATES_ACTIVE
        ends_at: datetime | None = None
        if active and frame.time_left_s is not None:
            candidate = now + timedelta(seconds=frame.time_left_s / self.pace)
            last = self._ends_at
            if last is None or abs((candidate - last).total_seconds()) > ENDS_AT_SLACK_S:
                self._ends_at = candidate
            ends_at = self._ends_at
        else:
            self._ends_at = None
        temps = [c for _, c, _ in frame.heaters if math.isfinite(c)]
        heat_on = any(on for _, _, on in frame.heaters)
        program = frame.program_name if frame.activity == "session" else self.chosen_program
        return {
            "ts": iso_ms(now),
            "state": frame.state,
            "activity": frame.activity,
            "seated": "ON" if frame.seated else "OFF",
            "program": frame.program_id,
            "program_name": program,
            "session": frame.session,
            "step": frame.step_name if active else None,
            "intensity": frame.intensity if frame.intensity is not None else self.chosen_intensity,
            "heat": "ON" if heat_on else "OFF",
            "ends_at": iso(ends_at) if ends_at is not None else None,
            "peak_force_n": _round(self._peak_force_n, 1) if self._session else None,
            "force_n": _round(frame.roller_force_n, 1),
            "temperature_c": _round(max(temps), 1) if temps else None,
            "fault": "ON" if fault_rule(frame) is not None else "OFF",
            "fault_rule": fault_rule(frame),
            "latched": frame.latched,
            "sessions_today": self.sessions_today,
            "message": frame.message,
        }


def change_key(payload: dict[str, object]) -> tuple[object, ...]:
    """What counts as a change worth publishing at once (not the measurements, which go out
    once a second)."""
    return tuple(
        payload[k]
        for k in (
            "state",
            "seated",
            "program_name",
            "session",
            "step",
            "intensity",
            "heat",
            "ends_at",
            "fault",
            "latched",
        )
    )


def fault_attributes(frame: StateFrame) -> dict[str, object]:
    """The fault entity's attributes: which rule latched, and what the chair said."""
    rule = fault_rule(frame)
    return {"rule": rule, "latched": frame.latched, "message": frame.message if rule else ""}


def event_payload(event: EventInfo, now: datetime) -> dict[str, object]:
    return {"ts": iso(now), **event.to_dict()}


def session_summary(
    frame: StateFrame,
    *,
    session: str,
    program_id: str | None,
    program_name: str | None,
    intensity: int | None,
    started_at: datetime | None,
    ended_at: datetime,
    peak_force_n: float,
    peak_temp_c: float | None,
    events: int,
    reason: str,
) -> dict[str, object]:
    """Published once when a session ends (retained: the chair's last session)."""
    return {
        "session": session,
        "program": program_id,
        "program_name": program_name,
        "intensity": intensity,
        "outcome": frame.state,
        "reason": reason,
        "started_at": iso(started_at) if started_at is not None else None,
        "ended_at": iso(ended_at),
        "duration_s": round((ended_at - started_at).total_seconds(), 1)
        if started_at is not None
        else None,
        "peak_force_n": _round(peak_force_n, 1),
        "peak_temperature_c": _round(peak_temp_c, 1) if peak_temp_c is not None else None,
        "safety_events": events,
    }
