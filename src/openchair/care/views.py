"""JSON-ready views of the companion for the web remote and the API (plain dicts and SVG text).

The pages are built on the chair service; these functions are all they need from the companion,
so a page and the CLI show the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from openchair.care.advice import GENERAL_CAUTIONS
from openchair.care.breaks import OfferedBreak
from openchair.care.figure import render_svg
from openchair.care.model import Exercise
from openchair.care.plan import plan_day
from openchair.care.records import BreakRecord, daily_stats
from openchair.care.settings import PlanSettings


def dose_text(e: Exercise) -> str:
    """The dose in words: ``hold 5 s, 10×`` or ``hold 10 s, 2× each side``."""
    hold = f"hold {e.hold_seconds:g} s, " if e.hold_seconds else ""
    side = {"each": " each side", "alternate": " alternating", "both": ""}[e.sides]
    return f"{hold}{e.repetitions}×{side}"


def exercise_view(e: Exercise, with_svg: bool = True) -> dict[str, object]:
    """One exercise as a card: the fields a person reads, the dose, and the picture."""
    d: dict[str, object] = e.model_dump(exclude={"picture"})
    d["id"] = e.label()
    d["dose"] = dose_text(e)
    d["seconds"] = round(e.seconds())
    d["general_cautions"] = list(GENERAL_CAUTIONS)
    if with_svg:
        d["svg"] = render_svg(e)
    return d


def plan_view(
    settings: PlanSettings, day: date, exercises: Sequence[Exercise]
) -> dict[str, object]:
    """The day's plan with each exercise named, as the plan page shows it."""
    names = {e.label(): e.name for e in exercises}
    plan = plan_day(settings, day, exercises)
    data = plan.to_dict()
    items = []
    for item in plan.items:
        d = item.to_dict()
        d["exercise_names"] = [names.get(x, x) for x in item.exercises]
        items.append(d)
    data["items"] = items
    return data


def break_view(b: OfferedBreak, exercises: Sequence[Exercise]) -> dict[str, object]:
    """A break as the page shows it: the kind, the limits left, and the exercise card."""
    d = b.to_dict()
    match = [e for e in exercises if e.label() == b.exercise]
    d["exercise_card"] = exercise_view(match[0]) if match else None
    return d


def stats_view(records: Iterable[BreakRecord]) -> list[dict[str, object]]:
    return [s.to_dict() for s in daily_stats(records)]
