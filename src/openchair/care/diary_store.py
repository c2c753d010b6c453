"""The health check, the pain diary, confirmations and breaks, kept in the chair's database.

Everything here is per person (a row in ``people``). :func:`health_status` is what the chair's
start gate and the pages ask: the restrictions from the newest health check (holds the person has
confirmed lifted left out) and whether a red-flag answer in the diary holds the programs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openchair.care.diary import DiaryEntry
from openchair.care.records import BreakRecord
from openchair.care.redflags import HELD_REASON
from openchair.care.screening import Restrictions, ScreeningRules, restrictions_for
from openchair.store.database import Store
from openchair.store.diary_models import BreakRow, ConfirmationRow, DiaryRow, ScreeningRow
from openchair.store.models import Person
from openchair.store.posture_models import PostureDayRow

RED_FLAGS_KIND = "red-flags"
HOLD_PREFIX = "hold:"


class CareDataError(ValueError):
    """A person or an answer openchair cannot use; the message says what to do."""


def aware(t: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _pid(s: Session, name: str) -> int:
    pid = s.scalar(select(Person.id).where(Person.name == name))
    if pid is None:
        raise CareDataError(f"no person called {name!r}; add them first (openchair people add)")
    return pid


# -- health check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screening:
    id: int
    answered_at: datetime
    rules_version: int
    answers: dict[str, bool]

    def to_dict(self) -> dict[str, object]:
        return {
            "answered_at": self.answered_at.isoformat(),
            "rules_version": self.rules_version,
            "answers": dict(self.answers),
        }


def check_screening_answers(
    rules: ScreeningRules, answers: Mapping[str, object]
) -> dict[str, bool]:
    known = [q.id for q in rules.question]
    unknown = [k for k in answers if k not in known]
    if unknown:
        raise CareDataError(f"unknown question {', '.join(unknown)}; known: {', '.join(known)}")
    missing = [k for k in known if k not in answers]
    if missing:
        raise CareDataError(f"unanswered: {', '.join(missing)} (every question needs yes or no)")
    out: dict[str, bool] = {}
    for k in known:
        v = answers[k]
        if not isinstance(v, bool):
            raise CareDataError(f"{k}: answer yes or no, not {v!r}")
        out[k] = v
    return out


def save_screening(
    store: Store, name: str, rules: ScreeningRules, answers: Mapping[str, object], at: datetime
) -> Screening:
    clean = check_screening_answers(rules, answers)
    with store.session() as s:
        row = ScreeningRow(
            person_id=_pid(s, name), answered_at=at, rules_version=rules.version, answers=clean
        )
        s.add(row)
        s.flush()
        return Screening(row.id, at, rules.version, clean)


def latest_screening(store: Store, name: str) -> Screening | None:
    with store.session() as s:
        row = s.scalar(
            select(ScreeningRow)
            .where(ScreeningRow.person_id == _pid(s, name))
            .order_by(ScreeningRow.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return Screening(
            row.id,
            aware(row.answered_at),
            row.rules_version,
            {str(k): bool(v) for k, v in row.answers.items()},
        )


# -- diary --------------------------------------------------------------------------------------


def _entry(row: DiaryRow) -> DiaryEntry:
    return DiaryEntry(
        at=aware(row.at),
        pain=row.pain,
        areas=tuple(row.areas),
        stiffness_min=row.stiffness_min,
        better=tuple(row.better),
        worse=tuple(row.worse),
        notes=row.notes,
        red_flags={str(k): bool(v) for k, v in row.red_flags.items()},
    )


def add_entry(store: Store, name: str, entry: DiaryEntry) -> int:
    with store.session() as s:
        row = DiaryRow(
            person_id=_pid(s, name),
            at=entry.at,
            pain=entry.pain,
            areas=list(entry.areas),
            stiffness_min=entry.stiffness_min,
            better=list(entry.better),
            worse=list(entry.worse),
            notes=entry.notes,
            red_flags=dict(entry.red_flags),
        )
        s.add(row)
        s.flush()
        return row.id


def entries(
    store: Store, name: str, since: datetime | None = None, until: datetime | None = None
) -> list[DiaryEntry]:
    """The person's entries, oldest first (``since`` ≤ at < ``until`` when given)."""
    with store.session() as s:
        q = select(DiaryRow).where(DiaryRow.person_id == _pid(s, name))
        if since is not None:
            q = q.where(DiaryRow.at >= since)
        if until is not None:
            q = q.where(DiaryRow.at < until)
        rows = s.scalars(q.order_by(DiaryRow.at, DiaryRow.id)).all()
        return [_entry(r) for r in rows]


# -- confirmations and holds --------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    kind: str
    at: datetime
    upto_id: int
    note: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "at": self.at.isoformat(), "note": self.note}


def confirmations(store: Store, name: str) -> list[Confirmation]:
    with store.session() as s:
        rows = s.scalars(
            select(ConfirmationRow)
            .where(ConfirmationRow.person_id == _pid(s, name))
            .order_by(ConfirmationRow.id)
        ).all()
        return [Confirmation(r.kind, aware(r.at), r.upto_id, r.note) for r in rows]


def confirm_seen(store: Store, name: str, at: datetime, note: str = "") -> None:
    """The person has been seen about the red flags noted so far: their programs come back."""
    with store.session() as s:
        pid = _pid(s, name)
        upto = s.scalar(select(func.max(DiaryRow.id)).where(DiaryRow.person_id == pid)) or 0
        s.add(ConfirmationRow(person_id=pid, kind=RED_FLAGS_KIND, at=at, upto_id=upto, note=note))


def confirm_hold(store: Store, name: str, question: str, at: datetime, note: str = "") -> None:
    """The person confirms a health-check hold is over (e.g. their doctor said yes)."""
    with store.session() as s:
        pid = _pid(s, name)
        upto = s.scalar(select(func.max(ScreeningRow.id)).where(ScreeningRow.person_id == pid))
        if upto is None:
            raise CareDataError(f"{name} has no health check yet")
        s.add(
            ConfirmationRow(
                person_id=pid, kind=HOLD_PREFIX + question, at=at, upto_id=upto, note=note
            )
        )


@dataclass(frozen=True)
class HealthStatus:
    """What the chair may do for this person now, and why."""

    person: str
    screening: Screening | None
    restrictions: Restrictions
    red_flag_hold: bool
    red_flag_at: datetime | None
    new_questions: tuple[str, ...] = ()
    """Questions of the current rules the kept answers do not cover (the rules grew): ask again."""

    @property
    def held_reason(self) -> str | None:
        """Why programs are held (red flags first), or None."""
        if self.red_flag_hold:
            return HELD_REASON
        if self.restrictions.holds:
            return self.restrictions.holds[0].message()
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "person": self.person,
            "screened": self.screening is not None,
            "screening": self.screening.to_dict() if self.screening else None,
            "restrictions": self.restrictions.to_dict(),
            "red_flag_hold": self.red_flag_hold,
            "red_flag_at": self.red_flag_at.isoformat() if self.red_flag_at else None,
            "held_reason": self.held_reason,
            "new_questions": list(self.new_questions),
        }


def health_status(store: Store, name: str, rules: ScreeningRules) -> HealthStatus:
    with store.session() as s:
        pid = _pid(s, name)
        screening = s.scalar(
            select(ScreeningRow)
            .where(ScreeningRow.person_id == pid)
            .order_by(ScreeningRow.id.desc())
            .limit(1)
        )
        confs = s.scalars(select(ConfirmationRow).where(ConfirmationRow.person_id == pid)).all()
        seen_upto = max((c.upto_id for c in confs if c.kind == RED_FLAGS_KIND), default=0)
        flagged = s.scalars(
            select(DiaryRow)
            .where(DiaryRow.person_id == pid, DiaryRow.id > seen_upto)
            .order_by(DiaryRow.id)
        ).all()
        yes = [r for r in flagged if any(bool(v) for v in r.red_flags.values())]
        if screening is None:
            return HealthStatus(
                name, None, Restrictions(), bool(yes), aware(yes[-1].at) if yes else None
            )
        cleared = {
            c.kind[len(HOLD_PREFIX) :]
            for c in confs
            if c.kind.startswith(HOLD_PREFIX) and c.upto_id >= screening.id
        }
        answers = {str(k): bool(v) for k, v in screening.answers.items()}
        shown = Screening(
            screening.id, aware(screening.answered_at), screening.rules_version, answers
        )
        return HealthStatus(
            name,
            shown,
            restrictions_for(rules, answers, cleared),
            bool(yes),
            aware(yes[-1].at) if yes else None,
            tuple(q.id for q in rules.question if q.id not in answers),
        )


# -- breaks -------------------------------------------------------------------------------------


class StoreBreakRepository:
    """Break records of one person in the chair's database (``care.records.BreakRepository``)."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name

    def add(self, record: BreakRecord) -> None:
        with self.store.session() as s:
            s.add(
                BreakRow(
                    person_id=_pid(s, self.name),
                    at=record.at,
                    day=record.day.isoformat(),
                    kind=record.kind,
                    outcome=record.outcome,
                    exercise=record.exercise,
                    sat_minutes=record.sat_minutes,
                )
            )

    def all(self) -> list[BreakRecord]:
        with self.store.session() as s:
            rows = s.scalars(
                select(BreakRow)
                .where(BreakRow.person_id == _pid(s, self.name))
                .order_by(BreakRow.at, BreakRow.id)
            ).all()
            return [
                BreakRecord(
                    at=aware(r.at),
                    day=date.fromisoformat(r.day),
                    kind=r.kind,  # type: ignore[arg-type]
                    outcome=r.outcome,  # type: ignore[arg-type]
                    exercise=r.exercise,
                    sat_minutes=r.sat_minutes,
                )
                for r in rows
            ]


# -- forgetting ---------------------------------------------------------------------------------

PERSON_TABLES = (ScreeningRow, DiaryRow, ConfirmationRow, BreakRow, PostureDayRow)


def delete_person_data(store: Store, name: str) -> dict[str, int]:
    """Delete this person's rows from the companion's tables; rows deleted per table.

    The person themselves, their body maps and sessions are the chair service's
    (``forget_person`` in :mod:`openchair.care.export` removes those too)."""
    counts: dict[str, int] = {}
    with store.session() as s:
        pid = _pid(s, name)
        for model in PERSON_TABLES:
            result = s.execute(delete(model).where(model.person_id == pid))
            counts[model.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
    return counts
