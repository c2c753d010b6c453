"""The daily plan: morning program, movement breaks, evening program and a stretching session.

Pure functions of the settings, the day and the exercise library: the same inputs always give
the same plan, so the web page, the CLI and the calendar export agree. The rules and the evidence
behind them are in docs/CARE.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from openchair.care.advice import GENERAL_CAUTIONS, RED_FLAGS, RED_FLAGS_ACTION, SEE_A_CLINICIAN
from openchair.care.model import Exercise
from openchair.care.posture_plan import (
    EXTRA_STRETCH_SET,
    EXTRA_UPPER_STRETCHES,
    LOWER_AREAS,
    UPPER_AREAS,
    PostureContext,
    minutes_text,
)
from openchair.care.settings import PlanSettings

if TYPE_CHECKING:
    from openchair.care.diary_plan import DiaryContext

ItemKind = Literal["morning", "break", "evening", "stretch"]

QUICK_PROGRAM = "quick"
QUICK_MINUTES = 7.0
PROGRAM_MINUTES = {
    "quick": 7.0,
    "lumbar": 12.0,
    "after-office": 20.0,
    "heated-back": 15.0,
    "mindfulness": 15.0,
    "deep-tissue": 15.0,
    "stretch": 15.0,
}
"""Lengths of the built-in chair programs (the program files are the authority; a test checks)."""

BREAK_EXERCISES_PLACES = ("desk", "standing")
MORNING_SET = 4
STRETCH_SET = 5
WALK = "walk"


@dataclass(frozen=True)
class PlanItem:
    """One thing to do at one time; JSON-ready through :meth:`to_dict`."""

    kind: ItemKind
    start: datetime
    minutes: float
    title: str
    reason: str
    program: str | None = None
    exercises: list[str] = field(default_factory=list)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        d["end"] = self.end.isoformat()
        return d


@dataclass(frozen=True)
class DayPlan:
    day: date
    work_day: bool
    items: list[PlanItem]
    notes: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "work_day": self.work_day,
            "items": [i.to_dict() for i in self.items],
            "notes": self.notes,
            "cautions": list(GENERAL_CAUTIONS),
            "red_flags": list(RED_FLAGS),
            "red_flags_action": RED_FLAGS_ACTION,
            "see_a_clinician": SEE_A_CLINICIAN,
        }


def allowed(exercises: Sequence[Exercise], settings: PlanSettings) -> list[Exercise]:
    """Exercises this person may be offered: none that their caution flags exclude."""
    mine = set(settings.cautions)
    return [e for e in exercises if not mine.intersection(e.avoid_if)]


def _rotate(pool: Sequence[Exercise], seed: int, count: int, taken: set[str]) -> list[Exercise]:
    """``count`` different exercises from ``pool``, starting at a place that moves every day."""
    if not pool or count <= 0:
        return []
    out: list[Exercise] = []
    n = len(pool)
    for i in range(n):
        e = pool[(seed + i) % n]
        if e.label() not in taken:
            out.append(e)
            taken.add(e.label())
        if len(out) == count:
            break
    return out


def _pick(
    pool: Sequence[Exercise], settings: PlanSettings, seed: int, count: int
) -> list[Exercise]:
    """Half or more from the person's pain areas (when any), the rest for the whole body."""
    pool = sorted(pool, key=lambda e: e.label())
    pain = [e for e in pool if set(e.areas) & set(settings.pain_areas)]
    taken: set[str] = set()
    # One exercise at a time: every other pick comes from the pain areas.
    share = (count + 1) // 2 if count > 1 else (1 if seed % 2 == 0 else 0)
    first = _rotate(pain, seed // 2, share, taken) if pain else []
    rest = _rotate(pool, seed * 7 + 3, count - len(first), taken)
    return first + rest


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


def _minutes(exercises: Sequence[Exercise]) -> float:
    return round(sum(e.seconds() for e in exercises) / 60.0 + 0.49)


def evening_choice(
    settings: PlanSettings,
    day: date,
    diary: DiaryContext | None = None,
    posture: PostureContext | None = None,
) -> tuple[str, str]:
    """The evening program and the reason for it, from the day, the person, their diary and the
    posture monitor's day (docs/CARE.md lists the rules in order)."""
    if diary is not None:

        def without_diary(s: PlanSettings, d: date) -> tuple[str, str]:
            return evening_choice(s, d, None, posture)

        return diary.evening_choice(settings, day, without_diary)
    shift = settings.shift(day)
    # Elapsed hours (UTC), so a night shift over a clock change counts as lived.
    utc = (shift[0].astimezone(UTC), shift[1].astimezone(UTC)) if shift else None
    hours = (utc[1] - utc[0]).total_seconds() / 3600 if utc else 0.0
    away_note = ""
    measured = posture.desk_hours(utc) if posture is not None else None
    if measured is not None:
        hours, note = measured
        hours = round(hours, 1)
        away_note = f"; {note}"
    if "lower-back" in settings.pain_areas:
        return "lumbar", "lower-back pain is in your profile: the Lumbar program works L1 to sacrum"
    if posture is not None and posture.slouched_long:
        return (
            "after-office",
            f"{posture.slouch_sentence()}: tonight's program, After the Office, spends its time "
            "on the neck, shoulders and upper back that a slouch loads",
        )
    if shift and hours >= settings.long_sitting_hours:
        return (
            "after-office",
            f"a long day at the desk ({hours:g} h{away_note}): After the Office works the neck, "
            "shoulders and upper back that sitting and slouching load",
        )
    if set(settings.pain_areas) & {"neck", "shoulders", "upper-back"}:
        return "after-office", "neck, shoulder or upper-back pain is in your profile"
    if settings.liked_program:
        return settings.liked_program, "the program you marked as liked"
    if shift:
        if away_note:
            return "after-office", f"a day at the desk ({hours:g} h{away_note})"
        return "after-office", "a day at the desk"
    return "heated-back", "a day off: warmth and gentle rolling"


def plan_day(
    settings: PlanSettings,
    day: date,
    exercises: Sequence[Exercise],
    diary: DiaryContext | None = None,
    posture: PostureContext | None = None,
) -> DayPlan:
    """The plan for ``day`` (breaks of a shift that starts that day, even past midnight).

    With the pain ``diary``: its areas and the health check's flags join the settings, a hold
    takes the chair (a red flag: the whole plan) off the day, and the evening says why. With the
    ``posture`` monitor's summary of that day: a long slouch turns the evening and the stretching
    to the neck and upper back, a long stretch of sitting adds a stretch after work, and time away
    from the desk counts as movement (``care/posture_plan.py``); the reasons say so."""
    if posture is not None and posture.date != day.isoformat():
        posture = None  # another day's posture says nothing about this one
    if diary is not None:
        if diary.red_flag_hold:
            from openchair.care.redflags import HELD_REASON

            return DayPlan(day, settings.shift(day) is not None, [], [HELD_REASON])
        settings = diary.settings_for(settings)
    ok = allowed(exercises, settings)
    seed = day.toordinal()
    items: list[PlanItem] = []
    notes: list[str] = []
    shift = settings.shift(day)

    # Morning: the Quick program on the chair, or a short stretch set at home.
    morning_at = settings.at(day, settings.morning)
    if shift and settings.crosses_midnight():
        morning_at = shift[0] - timedelta(minutes=90)
    quick_out = diary is not None and QUICK_PROGRAM in diary.programs_out
    if settings.has_chair and not quick_out:
        items.append(
            PlanItem(
                "morning",
                morning_at,
                PROGRAM_MINUTES[QUICK_PROGRAM],
                "Quick massage",
                "a whole-back pass to start the day",
                program=QUICK_PROGRAM,
            )
        )
    else:
        chosen = _pick(ok, settings, seed, MORNING_SET)
        items.append(
            PlanItem(
                "morning",
                morning_at,
                _minutes(chosen),
                "Morning stretches",
                "the Quick program is ruled out by your health check: a short stretch set"
                if quick_out
                else "no chair: a short stretch set to start the day",
                exercises=[e.label() for e in chosen],
            )
        )

    # Movement breaks through the work period.
    if shift:
        desk = [e for e in ok if set(e.where) & set(BREAK_EXERCISES_PLACES)]
        walk = [e for e in desk if e.label() == WALK]
        others = [e for e in desk if e.label() != WALK]
        step = timedelta(minutes=settings.breaks.every_minutes)
        length = settings.breaks.long_break_minutes
        t = shift[0] + step
        n = 0
        while t + timedelta(minutes=length) <= shift[1]:
            chosen = _pick(others, settings, seed * 31 + n, 1)
            if walk and n % 2 == 1:
                chosen = [*chosen, walk[0]]
            items.append(
                PlanItem(
                    "break",
                    t,
                    length,
                    f"Movement break {n + 1}",
                    f"after {settings.breaks.every_minutes} min of sitting: stand up and move",
                    exercises=[e.label() for e in chosen],
                )
            )
            n += 1
            t = t + step
        if not desk:
            notes.append("No desk exercise suits your caution flags: the breaks are for walking.")

    # Evening: a program chosen from the day (or a matching stretch set without a chair).
    # A long stretch of sitting: a short stretch for the hips and lower back after work.
    if shift and posture is not None and posture.long_streak(settings.breaks.every_minutes):
        pool = [
            e for e in ok if e.kind in ("stretch", "mobility") and set(e.areas) & set(LOWER_AREAS)
        ]
        chosen = _rotate(sorted(pool, key=lambda e: e.label()), seed + 3, EXTRA_STRETCH_SET, set())
        if chosen:
            items.append(
                PlanItem(
                    "stretch",
                    shift[1] + timedelta(minutes=5),
                    _minutes(chosen),
                    "Stretch after sitting",
                    f"Your longest stretch of sitting today was "
                    f"{minutes_text(posture.longest_streak_min)} without a break: a short "
                    "stretch for the hips and lower back after work",
                    exercises=[e.label() for e in chosen],
                )
            )

    program, reason = evening_choice(settings, day, diary, posture)
    evening_at = settings.at(day, settings.evening)
    if shift:
        evening_at = max(evening_at, shift[1] + timedelta(minutes=30))
    if settings.has_chair:
        minutes = PROGRAM_MINUTES.get(program, 15.0)
        items.append(
            PlanItem("evening", evening_at, minutes, f"Evening program: {program}", reason, program)
        )
    else:
        focus = {"lumbar": "lower-back", "after-office": "upper-back"}.get(program)
        pool = [e for e in ok if focus in e.areas] if focus else ok
        chosen = _pick(pool or ok, settings, seed + 11, MORNING_SET)
        items.append(
            PlanItem(
                "evening",
                evening_at,
                _minutes(chosen),
                "Evening exercises",
                reason.split(":")[0] + (f": exercises for the {focus}" if focus else ""),
                exercises=[e.label() for e in chosen],
            )
        )

    # Stretching session: most days, holds of 10-30 s (ACSM).
    stretches = [e for e in ok if e.kind in ("stretch", "mobility")]
    stretch_why = "stretching most days keeps the back and hips moving (hold each 10-30 s)"
    first: list[Exercise] = []
    if posture is not None and posture.slouched_long:
        upper = sorted(
            (e for e in stretches if set(e.areas) & set(UPPER_AREAS)), key=lambda e: e.label()
        )
        count = 2 + (EXTRA_UPPER_STRETCHES if posture.slouched_very_long else 0)
        first = _rotate(upper, seed + 5, count, set())
        if first:
            stretch_why = (
                f"{posture.slouch_sentence()}: "
                + (
                    f"the session is {_count(len(first) - 2, 'stretch')} longer and starts with "
                    if posture.slouched_very_long and len(first) > 2
                    else "it starts with "
                )
                + f"{_count(len(first), 'stretch')} for the neck and upper back (hold each "
                "10-30 s)"
            )
    taken = {e.label() for e in first}
    pick = _pick(stretches, settings, seed + 5, STRETCH_SET + len(first))
    rest = [e for e in pick if e.label() not in taken]
    chosen = first + rest[: max(0, STRETCH_SET - min(len(first), 2))]
    evening_item = next(i for i in items if i.kind == "evening")
    stretch_at = max(settings.at(day, settings.stretch), evening_item.end + timedelta(minutes=15))
    items.append(
        PlanItem(
            "stretch",
            stretch_at,
            _minutes(chosen),
            "Stretching session",
            stretch_why,
            exercises=[e.label() for e in chosen],
        )
    )
    items.sort(key=lambda i: i.start)
    if settings.has_chair:
        notes.append("Massage is an add-on to exercise, not a treatment on its own.")
    if diary is not None and diary.massage_held:
        notes.append(diary.massage_held)
    return DayPlan(day, shift is not None, items, notes)
