"""The daily plan as an iCalendar file that a calendar application imports as it is.

Items that come back at the same wall-clock time on the same weekdays become one recurring event
(``RRULE:FREQ=WEEKLY;BYDAY=...``), with a ``VALARM`` reminder. Times carry the person's time zone
(``TZID`` plus a ``VTIMEZONE`` built from the zone database), so a 10:00 break stays at 10:00
across a change to or from summer time; a night shift's breaks after midnight fall on the next
weekday. Written with the ``icalendar`` package; the tests read it back with another library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from openchair.care.model import Exercise
from openchair.care.plan import PlanItem, plan_day
from openchair.care.settings import PlanSettings

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class _Series:
    first: PlanItem
    weekdays: set[int] = field(default_factory=set)


def _key(item: PlanItem) -> tuple[str, str, str, float, str | None]:
    return (item.kind, item.title, item.start.strftime("%H:%M"), item.minutes, item.program)


def weekly_series(
    settings: PlanSettings, start: date, exercises: Sequence[Exercise]
) -> list[_Series]:
    """One week of plans folded into series of items at the same time on several weekdays."""
    series: dict[tuple[str, str, str, float, str | None], _Series] = {}
    for offset in range(7):
        for item in plan_day(settings, start + timedelta(days=offset), exercises).items:
            s = series.setdefault(_key(item), _Series(item))
            if item.start < s.first.start:
                s.first = item
            s.weekdays.add(item.start.weekday())
    return sorted(series.values(), key=lambda s: (s.first.start, s.first.title))


def _description(item: PlanItem, library: dict[str, Exercise]) -> str:
    lines = [item.reason[0].upper() + item.reason[1:] + "."]
    if item.program:
        lines.append(f"Chair program: {item.program} ({item.minutes:g} min).")
    if item.exercises:
        names = ", ".join(library[e].name if e in library else e for e in item.exercises)
        lines.append(f"For example: {names}. Exercises change day by day: see openchair plan.")
    return "\n".join(lines)


def plan_calendar(
    settings: PlanSettings,
    start: date,
    exercises: Sequence[Exercise],
    now: datetime,
) -> Calendar:
    """The recurring weekly plan from ``start`` on; ``now`` stamps the events (injected)."""
    library = {e.label(): e for e in exercises}
    cal = Calendar()
    cal.add("prodid", "-//openchair//back-care plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "openchair back-care plan")
    cal.add("x-wr-timezone", settings.timezone)
    for s in weekly_series(settings, start, exercises):
        item = s.first
        ev = Event()
        key = "|".join(str(k) for k in _key(item)) + "|" + settings.timezone
        ev.add("uid", hashlib.sha1(key.encode()).hexdigest()[:20] + "@openchair")
        ev.add("dtstamp", now)
        ev.add("summary", item.title)
        ev.add("dtstart", item.start)
        ev.add("dtend", item.end)
        ev.add("description", _description(item, library))
        ev.add("categories", ["openchair", item.kind])
        ev.add(
            "rrule",
            {"FREQ": "WEEKLY", "BYDAY": [ICAL_DAYS[d] for d in sorted(s.weekdays)]},
        )
        if settings.reminder_minutes > 0:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", item.title)
            alarm.add("trigger", timedelta(minutes=-settings.reminder_minutes))
            ev.add_component(alarm)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal


def plan_ical(
    settings: PlanSettings, start: date, exercises: Sequence[Exercise], now: datetime
) -> bytes:
    return bytes(plan_calendar(settings, start, exercises, now).to_ical())
