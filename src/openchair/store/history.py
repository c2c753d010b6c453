"""The history of sessions, with their safety events, for ``openchair history``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from openchair.store.database import Store
from openchair.store.models import SafetyEventRow, SessionRow

CSV_COLUMNS = (
    "started_at",
    "person",
    "program",
    "outcome",
    "reason",
    "duration_s",
    "max_force_n",
    "max_depth_mm",
    "max_pressure_kpa",
    "max_temp_c",
    "safety_events",
    "session",
)


@dataclass(frozen=True)
class HistoryEvent:
    time_s: float
    rule: str
    value: float | None
    limit: float | None
    reaction: str

    def to_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 2),
            "rule": self.rule,
            "value": None if self.value is None else round(self.value, 3),
            "limit": None if self.limit is None else round(self.limit, 3),
            "reaction": self.reaction,
        }


@dataclass(frozen=True)
class HistoryEntry:
    session: str
    person: str | None
    program_id: str
    program_name: str
    intensity: int
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    reason: str
    seconds: float
    seconds_by_zone: dict[str, float]
    max_force_n: float
    max_depth_mm: float
    max_pressure_kpa: float
    max_temp_c: float | None
    events: tuple[HistoryEvent, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "session": self.session,
            "person": self.person,
            "program": self.program_id,
            "program_name": self.program_name,
            "intensity": self.intensity,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": self.outcome,
            "reason": self.reason,
            "duration_s": round(self.seconds, 2),
            "seconds_by_zone": {k: round(v, 1) for k, v in self.seconds_by_zone.items()},
            "max_force_n": round(self.max_force_n, 1),
            "max_depth_mm": round(self.max_depth_mm, 1),
            "max_pressure_kpa": round(self.max_pressure_kpa, 2),
            "max_temp_c": None if self.max_temp_c is None else round(self.max_temp_c, 2),
            "safety_events": [e.to_dict() for e in self.events],
        }

    def csv_row(self) -> list[str]:
        return [
            self.started_at.isoformat(timespec="seconds"),
            self.person or "",
            self.program_id,
            self.outcome,
            self.reason,
            f"{self.seconds:.1f}",
            f"{self.max_force_n:.1f}",
            f"{self.max_depth_mm:.1f}",
            f"{self.max_pressure_kpa:.2f}",
            "" if self.max_temp_c is None else f"{self.max_temp_c:.2f}",
            str(len(self.events)),
            self.session,
        ]


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def history(
    store: Store, person: str | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """Sessions, oldest first (the newest ``limit`` if given)."""
    with store.session() as s:
        q = select(SessionRow).order_by(SessionRow.started_at.desc(), SessionRow.id)
        if person is not None:
            q = q.where(SessionRow.person_name == person)
        if limit is not None:
            q = q.limit(limit)
        rows = list(reversed(s.scalars(q).all()))
        ids = [r.id for r in rows]
        events: dict[str, list[HistoryEvent]] = {i: [] for i in ids}
        if ids:
            for e in s.scalars(
                select(SafetyEventRow)
                .where(SafetyEventRow.session_id.in_(ids))
                .order_by(SafetyEventRow.id)
            ):
                assert e.session_id is not None
                events[e.session_id].append(
                    HistoryEvent(e.time_s, e.rule, e.value, e.limit_value, e.reaction)
                )
        return [
            HistoryEntry(
                session=r.id,
                person=r.person_name,
                program_id=r.program_id,
                program_name=r.program_name,
                intensity=r.intensity,
                started_at=_aware(r.started_at),
                ended_at=_aware(r.ended_at) if r.ended_at else None,
                outcome=r.outcome,
                reason=r.reason,
                seconds=r.seconds,
                seconds_by_zone={k: float(v) for k, v in (r.seconds_by_zone or {}).items()},
                max_force_n=r.max_force_n,
                max_depth_mm=r.max_depth_mm,
                max_pressure_kpa=r.max_pressure_kpa,
                max_temp_c=r.max_temp_c,
                events=tuple(events[r.id]),
            )
            for r in rows
        ]
