"""What the pain diary and the health check tell the daily plan.

:func:`diary_context` sums up the last week of the diary (where it hurt, how much) and the
person's health status; the plan (``care/plan.py``) takes it and says why it chose what it chose:
the evening program follows where the diary says it hurt this week, severe pain gets the gentlest
program, a program the health check rules out is swapped for an allowed one, and a hold takes the
chair (or, after a red flag, the whole plan) off the day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openchair.care.diary import DiaryEntry
from openchair.care.model import CAUTION_FLAGS, Area
from openchair.care.screening import ScreeningRules
from openchair.care.settings import PlanSettings
from openchair.programs.loader import ProgramError, ProgramLibrary
from openchair.store.database import Store

RECENT_DAYS = 7
SEVERE_RECENT_NRS = 7.0
GENTLE_ORDER = ("mindfulness", "heated-back", "after-office", "quick", "lumbar")
"""When a choice is ruled out, the first of these the person may have takes its place."""
_LOWER = {"lower-back", "hips"}
_UPPER = {"neck", "shoulders", "upper-back"}


@dataclass(frozen=True)
class DiaryContext:
    recent_entries: int = 0
    recent_pain: float | None = None
    areas: tuple[Area, ...] = ()
    """Body areas noted in the last week, most often first."""
    red_flag_hold: bool = False
    massage_held: str | None = None
    """Why chair programs are held (a health-check hold), if they are."""
    programs_out: tuple[str, ...] = ()
    caution_flags: tuple[str, ...] = ()

    def settings_for(self, settings: PlanSettings) -> PlanSettings:
        """The person's settings with the diary's areas and the health check's flags added."""
        areas = list(dict.fromkeys([*self.areas, *settings.pain_areas]))
        flags = list(
            dict.fromkeys(
                [*settings.cautions, *(f for f in self.caution_flags if f in CAUTION_FLAGS)]
            )
        )
        update: dict[str, object] = {"pain_areas": areas, "cautions": flags}
        if self.massage_held is not None or set(GENTLE_ORDER) <= set(self.programs_out):
            update["has_chair"] = False  # held, or no evening program suits: exercises instead
        return settings.model_copy(update=update)

    def evening_choice(
        self,
        settings: PlanSettings,
        day: date,
        default: Callable[[PlanSettings, date], tuple[str, str]],
    ) -> tuple[str, str]:
        """The evening program from the diary when it says something, else ``default``; never
        one the health check rules out."""
        choice: tuple[str, str] | None = None
        if self.recent_pain is not None and self.recent_pain >= SEVERE_RECENT_NRS:
            choice = (
                "mindfulness",
                f"your diary shows severe pain this week (mean {self.recent_pain:.1f}/10): the "
                "gentlest program, no deep work",
            )
        elif self.areas and self.areas[0] in _LOWER:
            choice = ("lumbar", f"your diary this week: mostly {self.areas[0]} pain")
        elif self.areas and self.areas[0] in _UPPER:
            choice = ("after-office", f"your diary this week: mostly {self.areas[0]} pain")
        program, reason = choice or default(settings, day)
        if program in self.programs_out:
            for alt in GENTLE_ORDER:
                if alt not in self.programs_out:
                    return alt, f"{reason}; {program} is ruled out by your health check, so {alt}"
        return program, reason


def diary_context(
    entries: Sequence[DiaryEntry],
    now: datetime,
    *,
    red_flag_hold: bool = False,
    massage_held: str | None = None,
    programs_out: Sequence[str] = (),
    caution_flags: Sequence[str] = (),
) -> DiaryContext:
    recent = [e for e in entries if now - timedelta(days=RECENT_DAYS) < e.at <= now]
    counts: dict[Area, int] = {}
    for e in recent:
        for a in e.plan_areas:
            counts[a] = counts.get(a, 0) + 1
    areas = tuple(sorted(counts, key=lambda a: -counts[a]))
    return DiaryContext(
        recent_entries=len(recent),
        recent_pain=(sum(e.pain for e in recent) / len(recent)) if recent else None,
        areas=areas,
        red_flag_hold=red_flag_hold,
        massage_held=massage_held,
        programs_out=tuple(programs_out),
        caution_flags=tuple(caution_flags),
    )


def context_for(
    store: Store, name: str, now: datetime, rules: ScreeningRules, library: ProgramLibrary
) -> DiaryContext:
    """The diary context of a stored person: programs refused for any reason (ruled out by
    id or by a technique) count as ruled out for the plan."""
    from openchair.care.diary_store import entries, health_status
    from openchair.care.screening import apply_restrictions

    status = health_status(store, name, rules)
    r = status.restrictions
    refused = []
    for pid in library.ids():
        try:
            program = library.get(pid)
        except ProgramError:
            continue
        if isinstance(apply_restrictions(program, r), str):
            refused.append(pid)
    return diary_context(
        entries(store, name, since=now - timedelta(days=RECENT_DAYS)),
        now,
        red_flag_hold=status.red_flag_hold,
        massage_held=r.holds[0].message() if r.holds else None,
        programs_out=refused,
        caution_flags=r.caution_flags,
    )
