"""The posture monitor's day summaries in the chair's database (table ``posture_days``).

They used to be kept in ``posture_days.json`` in the data folder. :func:`import_json_file`
moves such a file into the database once: every day of every person the database knows is
added (a day the database already has keeps the database's numbers, which are newer), and the
file is then renamed ``posture_days.json.imported`` so nothing is lost and nothing is imported
twice. Days of a person the database does not know (deleted since) stay in the renamed file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from openchair.care.diary_store import _pid
from openchair.posture.events import PostureDaySummary, SittingStreak
from openchair.store.database import Store
from openchair.store.models import Person
from openchair.store.posture_models import PostureDayRow

log = logging.getLogger(__name__)
IMPORTED_SUFFIX = ".imported"


def _row_to_summary(r: PostureDayRow) -> PostureDaySummary:
    return PostureDaySummary(
        date=r.day,
        sitting_s=r.sitting_s,
        slouched_s=r.slouched_s,
        away_s=r.away_s,
        unobserved_s=r.unobserved_s,
        nudges=r.nudges,
        breaks=r.breaks,
        streaks=[SittingStreak(float(a), float(b)) for a, b in r.streaks],
    )


def _fill(row: PostureDayRow, s: PostureDaySummary) -> None:
    row.sitting_s = s.sitting_s
    row.slouched_s = s.slouched_s
    row.away_s = s.away_s
    row.unobserved_s = s.unobserved_s
    row.nudges = s.nudges
    row.breaks = s.breaks
    row.streaks = [[x.start_s, x.end_s] for x in s.streaks]


def put_day(store: Store, person: str, summary: PostureDaySummary) -> None:
    """Keep (or replace) ``person``'s summary of that day; ``CareDataError`` for nobody."""
    with store.session() as s:
        pid = _pid(s, person)
        row = s.scalar(
            select(PostureDayRow).where(
                PostureDayRow.person_id == pid, PostureDayRow.day == summary.date
            )
        )
        if row is None:
            row = PostureDayRow(person_id=pid, day=summary.date)
            s.add(row)
        _fill(row, summary)


def days(store: Store, person: str) -> list[PostureDaySummary]:
    """Every kept day of ``person``, oldest first."""
    with store.session() as s:
        pid = _pid(s, person)
        rows = s.scalars(
            select(PostureDayRow).where(PostureDayRow.person_id == pid).order_by(PostureDayRow.day)
        )
        return [_row_to_summary(r) for r in rows]


def summary_from_dict(d: dict[str, object]) -> PostureDaySummary:
    """A day as ``posture_days.json`` kept it (seconds; streaks as pairs)."""
    streaks = d.get("streaks") or []
    if not isinstance(streaks, list):
        raise TypeError("streaks is not a list")
    return PostureDaySummary(
        date=str(d["date"]),
        sitting_s=float(d["sitting_s"]),  # type: ignore[arg-type]
        slouched_s=float(d["slouched_s"]),  # type: ignore[arg-type]
        away_s=float(d["away_s"]),  # type: ignore[arg-type]
        unobserved_s=float(d.get("unobserved_s", 0.0)),  # type: ignore[arg-type]
        nudges=int(d.get("nudges", 0)),  # type: ignore[call-overload]
        breaks=int(d.get("breaks", 0)),  # type: ignore[call-overload]
        streaks=[SittingStreak(float(a), float(b)) for a, b in streaks],
    )


@dataclass
class ImportReport:
    """What :func:`import_json_file` did."""

    imported: int = 0
    kept: int = 0
    """Days the database already had (its numbers stay)."""
    unknown_people: list[str] = field(default_factory=list)
    moved_to: Path | None = None
    problem: str | None = None
    """Why the file was left as it is (unreadable), if it was."""


def import_json_file(store: Store, path: Path) -> ImportReport:
    """Move ``posture_days.json`` into the database once (see the module's docstring). An
    unreadable file is left exactly as it is and the report says why; nothing raises."""
    report = ImportReport()
    if not path.is_file():
        return report
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("not an object of people")
        parsed = {
            str(person): [summary_from_dict(v) for v in dict(person_days).values()]
            for person, person_days in raw.items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        report.problem = f"{path}: left as it is, cannot be read: {err}"
        log.warning(report.problem)
        return report
    with store.session() as s:
        known = {name: pid for pid, name in s.execute(select(Person.id, Person.name))}
        for person, summaries in parsed.items():
            pid = known.get(person)
            if pid is None:
                report.unknown_people.append(person)
                continue
            have = set(s.scalars(select(PostureDayRow.day).where(PostureDayRow.person_id == pid)))
            for summary in summaries:
                if summary.date in have:
                    report.kept += 1
                    continue
                row = PostureDayRow(person_id=pid, day=summary.date)
                _fill(row, summary)
                s.add(row)
                have.add(summary.date)
                report.imported += 1
    target = path.with_name(path.name + IMPORTED_SUFFIX)
    try:
        path.replace(target)
        report.moved_to = target
    except OSError as err:  # imported; a second import finds the days and keeps them
        report.problem = f"{path}: imported, but cannot be renamed: {err}"
        log.warning(report.problem)
    return report
