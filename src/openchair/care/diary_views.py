"""JSON-ready views of the health check, the pain diary and its insight, for the web pages and
the API (plain dicts, SVG text, PNG bytes). The CLI uses the same functions.

A diary entry with a red-flag "yes" answers with the calm message alone (``show_only``): the page
shows that and nothing else until the person confirms they have been seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from openchair.care.diary import (
    BODY_REGIONS,
    COMMON_FACTORS,
    NOTES_MAX,
    STIFFNESS_MAX_MIN,
    back_svg,
    entry_from_dict,
)
from openchair.care.diary_store import (
    add_entry,
    confirm_hold,
    confirm_seen,
    entries,
    health_status,
    save_screening,
)
from openchair.care.insight import build_insight, insight_png
from openchair.care.records import BreakRecord
from openchair.care.redflags import message_for, questions_view
from openchair.care.screening import ScreeningRules
from openchair.care.trend import pain_trend
from openchair.posture.events import PostureDaySummary
from openchair.store.database import Store
from openchair.store.history import history


def screening_form_view(rules: ScreeningRules) -> dict[str, object]:
    """The health check's questions, each with why it is asked and its sources."""
    return {
        "intro": (
            "A few questions before your first massage. Chair makers list these conditions in "
            "their manuals; openchair asks, remembers, and fits the chair to your answers. "
            "Your answers stay on this machine."
        ),
        "questions": [
            {
                "id": q.id,
                "ask": q.ask,
                "why": q.why,
                "sources": [{"title": s.title, "url": s.url} for s in rules.sources_of(q)],
            }
            for q in rules.question
        ],
    }


def save_screening_view(
    store: Store, name: str, rules: ScreeningRules, answers: Mapping[str, object], now: datetime
) -> dict[str, object]:
    """Keep the answers; what they change (CareDataError on a bad answer)."""
    save_screening(store, name, rules, answers, now)
    return health_status(store, name, rules).to_dict()


def diary_form_view(selected: Sequence[str] = ()) -> dict[str, object]:
    """What the diary page asks, quickest first: pain, where (the drawing), stiffness, factors,
    notes, and the red-flag questions (answered "no" unless the person taps "yes")."""
    return {
        "pain": {"min": 0, "max": 10, "labels": {"0": "no pain", "10": "worst imaginable"}},
        "regions": [{"id": r, "label": label} for r, (label, _) in BODY_REGIONS.items()],
        "svg": back_svg(selected),
        "stiffness_max_min": STIFFNESS_MAX_MIN,
        "factors": list(COMMON_FACTORS),
        "notes_max": NOTES_MAX,
        "red_flags": questions_view(),
    }


def add_entry_view(
    store: Store, name: str, payload: dict[str, object], rules: ScreeningRules, now: datetime
) -> dict[str, object]:
    """Keep one entry from the page's JSON (``at`` defaults to now); DiaryError names a bad
    field. A red-flag "yes" answers with the message alone."""
    data = {"at": now.isoformat(), **payload}
    entry = entry_from_dict(data)
    add_entry(store, name, entry)
    msg = message_for(entry.red_flags)
    if msg is not None:
        return {"saved": True, "show_only": "red_flag", "message": msg, "held": True}
    trend = pain_trend(entries(store, name), now)
    return {
        "saved": True,
        "show_only": None,
        "held": health_status(store, name, rules).held_reason is not None,
        "trend": trend.to_dict(),
    }


def confirm_seen_view(
    store: Store, name: str, rules: ScreeningRules, now: datetime, note: str = ""
) -> dict[str, object]:
    confirm_seen(store, name, now, note)
    return health_status(store, name, rules).to_dict()


def confirm_hold_view(
    store: Store, name: str, question: str, rules: ScreeningRules, now: datetime
) -> dict[str, object]:
    confirm_hold(store, name, question, now)
    return health_status(store, name, rules).to_dict()


def health_view(store: Store, name: str, rules: ScreeningRules) -> dict[str, object]:
    return health_status(store, name, rules).to_dict()


def insight_view(
    store: Store,
    name: str,
    now: datetime,
    weeks: int = 8,
    breaks: Sequence[BreakRecord] = (),
    posture: Sequence[PostureDaySummary] = (),
) -> dict[str, object]:
    """Trend and weekly insight for the last ``weeks`` weeks (what the diary page plots); the
    posture monitor's day summaries add sitting and slouched minutes when given."""
    start = now - timedelta(weeks=weeks)
    diary = entries(store, name, since=start)
    sessions = [h for h in history(store, person=name) if h.started_at >= start]
    ins = build_insight(diary, sessions, breaks, start, now, posture)
    return {
        "trend": pain_trend(entries(store, name), now).to_dict(),
        "insight": ins.to_dict(),
        "svg": back_svg(sorted(ins.areas, key=lambda a: -ins.areas[a])[:4]),
    }


def insight_png_view(
    store: Store,
    name: str,
    now: datetime,
    weeks: int = 8,
    breaks: Sequence[BreakRecord] = (),
    posture: Sequence[PostureDaySummary] = (),
) -> bytes:
    start = now - timedelta(weeks=weeks)
    diary = entries(store, name, since=start)
    sessions = [h for h in history(store, person=name) if h.started_at >= start]
    return insight_png(build_insight(diary, sessions, breaks, start, now, posture))
