"""The fleet view: every chair seen on the broker, from its own telemetry. Pure and bounded.

It reads what each chair publishes under ``openchair/<chair_id>/`` (availability, state, events,
session summaries) and keeps one small record per chair: state, seated yes/no (never who: the
chairs do not publish it), running program, fault, sessions today, last seen. A chair is
offline when its last will (``offline``) arrives, or when it has said nothing for
:data:`STALE_AFTER_S` (a chair publishes its state every second, so a few silent seconds mean a
dead link even before the broker notices).

Memory is bounded: at most ``max_chairs`` chairs, a day's session ids per chair up to
:data:`MAX_SESSIONS_PER_DAY`, and a fixed window of lag samples. Malformed messages are counted
and dropped, never raised.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from openchair.mqtt.topics import OFFLINE, ONLINE, ROOT, check_chair_id

STALE_AFTER_S = 5.0
MAX_CHAIRS = 10_000
MAX_PAYLOAD_BYTES = 8192
MAX_SESSIONS_PER_DAY = 500
LAG_WINDOW = 20_000


@dataclass
class ChairStatus:
    chair_id: str
    available: str | None = None
    state: str | None = None
    seated: bool | None = None
    program: str | None = None
    fault: str | None = None
    last_seen: datetime | None = None
    day: str = ""
    sessions: set[str] = field(default_factory=set)
    reported_sessions_today: int = 0
    events_today: int = 0
    last_event: str | None = None

    def online(self, now: datetime, stale_after_s: float) -> bool:
        if self.available == OFFLINE or self.last_seen is None:
            return False
        return (now - self.last_seen).total_seconds() <= stale_after_s

    def to_dict(self, now: datetime, stale_after_s: float, today: str) -> dict[str, object]:
        online = self.online(now, stale_after_s)
        is_today = self.day == today
        return {
            "chair": self.chair_id,
            "online": online,
            "state": self.state if online else "offline",
            "last_state": self.state,
            "seated": self.seated if online else None,
            "program": self.program if online else None,
            "fault": self.fault,
            "sessions_today": max(len(self.sessions), self.reported_sessions_today)
            if is_today
            else 0,
            "events_today": self.events_today if is_today else 0,
            "last_event": self.last_event,
            "last_seen": self.last_seen.isoformat(timespec="seconds") if self.last_seen else None,
            "silent_s": round((now - self.last_seen).total_seconds(), 1)
            if self.last_seen
            else None,
        }


class FleetView:
    """Feed it every message (``ingest``); ask it for ``summary(now)``."""

    def __init__(
        self,
        *,
        root: str = ROOT,
        stale_after_s: float = STALE_AFTER_S,
        max_chairs: int = MAX_CHAIRS,
    ) -> None:
        self.root = root
        self.stale_after_s = stale_after_s
        self.max_chairs = max_chairs
        self.chairs: dict[str, ChairStatus] = {}
        self.messages = 0
        self.rejected = 0
        self.lags_ms: deque[float] = deque(maxlen=LAG_WINDOW)

    def ingest(self, topic: str, payload: bytes, now: datetime, retained: bool = False) -> None:
        self.messages += 1
        parts = topic.split("/")
        if len(parts) != 3 or parts[0] != self.root or len(payload) > MAX_PAYLOAD_BYTES:
            self.rejected += 1
            return
        _, chair_id, leaf = parts
        try:
            check_chair_id(chair_id)
        except ValueError:
            self.rejected += 1
            return
        chair = self.chairs.get(chair_id)
        if chair is None:
            if len(self.chairs) >= self.max_chairs:
                self.rejected += 1
                return
            chair = self.chairs[chair_id] = ChairStatus(chair_id)
        if leaf == "availability":
            text = payload.decode("utf-8", "replace").strip()
            if text in (ONLINE, OFFLINE):
                chair.available = text
                if text == ONLINE and not retained:
                    chair.last_seen = now
            else:
                self.rejected += 1
            return
        obj = _json_object(payload)
        if obj is None:
            self.rejected += 1
            return
        sent = _time(obj.get("ts") if leaf == "state" else None)
        self._new_day(chair, now)
        if leaf == "state":
            self._state(chair, obj, now, sent, retained)
        elif leaf == "event":
            chair.events_today += 1
            chair.last_event = _text(obj.get("rule"))
            chair.last_seen = now
        elif leaf == "session":
            session = _text(obj.get("session"))
            ended = _time(obj.get("ended_at"))
            if session and ended is not None and ended.date() == now.date():
                self._count(chair, session)
        else:
            self.rejected += 1

    def _state(
        self,
        chair: ChairStatus,
        obj: dict[str, object],
        now: datetime,
        sent: datetime | None,
        retained: bool,
    ) -> None:
        chair.state = _text(obj.get("state"))
        seated = obj.get("seated")
        chair.seated = seated == "ON" if seated in ("ON", "OFF") else None
        chair.program = _text(obj.get("program_name")) if chair.state != "idle" else None
        chair.fault = _text(obj.get("fault_rule"))
        if chair.fault is None and obj.get("fault") == "ON":
            chair.fault = "fault"
        reported = obj.get("sessions_today")
        if isinstance(reported, int) and not isinstance(reported, bool) and reported >= 0:
            chair.reported_sessions_today = min(reported, MAX_SESSIONS_PER_DAY)
        session = _text(obj.get("session"))
        if session:
            self._count(chair, session)
        if retained:
            # An old retained state says when it was sent, not that the chair is alive now.
            chair.last_seen = min(sent, now) if sent is not None else chair.last_seen
            return
        chair.last_seen = now
        if sent is not None:
            lag_ms = (now - sent).total_seconds() * 1000.0
            if math.isfinite(lag_ms) and lag_ms > -1000:
                self.lags_ms.append(max(lag_ms, 0.0))

    def _count(self, chair: ChairStatus, session: str) -> None:
        if len(chair.sessions) < MAX_SESSIONS_PER_DAY:
            chair.sessions.add(session)

    def _new_day(self, chair: ChairStatus, now: datetime) -> None:
        day = now.date().isoformat()
        if chair.day != day:
            chair.day = day
            chair.sessions.clear()
            chair.reported_sessions_today = 0
            chair.events_today = 0

    def summary(self, now: datetime) -> dict[str, object]:
        today = now.date().isoformat()
        chairs = [
            self.chairs[k].to_dict(now, self.stale_after_s, today) for k in sorted(self.chairs)
        ]
        online = [c for c in chairs if c["online"]]
        return {
            "at": now.isoformat(timespec="seconds"),
            "counts": {
                "chairs": len(chairs),
                "online": len(online),
                "offline": len(chairs) - len(online),
                "in_session": sum(
                    1 for c in online if c["state"] in ("running", "paused", "finishing")
                ),
                "seated": sum(1 for c in online if c["seated"]),
                "faults": sum(1 for c in chairs if c["fault"]),
                "sessions_today": sum(int(str(c["sessions_today"])) for c in chairs),
            },
            "lag_ms": self.lag_percentiles(),
            "messages": self.messages,
            "rejected": self.rejected,
            "chairs": chairs,
        }

    def lag_percentiles(self) -> dict[str, float | None]:
        if not self.lags_ms:
            return {"p50": None, "p99": None, "max": None, "samples": 0}
        ordered = sorted(self.lags_ms)
        n = len(ordered)

        def pct(q: float) -> float:
            return round(ordered[min(n - 1, int(q * n))], 1)

        return {"p50": pct(0.5), "p99": pct(0.99), "max": round(ordered[-1], 1), "samples": n}


def _json_object(payload: bytes) -> dict[str, object] | None:
    try:
        obj = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _text(value: object) -> str | None:
    return value[:80] if isinstance(value, str) and value else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None
