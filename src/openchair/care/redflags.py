"""Red-flag questions asked with every pain-diary entry, and the calm message a "yes" gets.

Worded after the NHS back-pain pages, NHS trusts' cauda equina leaflets and NICE CKS (docs/CARE.md
lists the sources). openchair never diagnoses: any "yes" gets one clear message to get medical
advice now, and the chair's programs are held for that person until they confirm they have been
seen. A history of cancer and new pain under 20 or over 50 are asked once, in the health check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["emergency", "urgent"]


@dataclass(frozen=True)
class RedFlag:
    id: str
    ask: str
    level: Level


RED_FLAG_QUESTIONS: tuple[RedFlag, ...] = (
    RedFlag(
        "bladder-bowel",
        "Have you lost control of your bladder or bowels, or can you not pee, when this is not "
        "normal for you?",
        "emergency",
    ),
    RedFlag(
        "saddle-numbness",
        "Is there numbness or tingling around your genitals, bottom or inner thighs?",
        "emergency",
    ),
    RedFlag(
        "leg-weakness",
        "Do you have weakness or numbness in both legs, or in one leg that is getting worse?",
        "emergency",
    ),
    RedFlag(
        "serious-injury",
        "Did this pain start after a serious accident or fall?",
        "emergency",
    ),
    RedFlag("fever", "Do you have a high temperature (38 °C or more) or feel feverish?", "urgent"),
    RedFlag("weight-loss", "Have you lost weight without trying?", "urgent"),
    RedFlag(
        "night-pain",
        "Is the pain severe at night or when you rest, or does it wake you?",
        "urgent",
    ),
)
RED_FLAG_IDS: tuple[str, ...] = tuple(f.id for f in RED_FLAG_QUESTIONS)

EMERGENCY_MESSAGE = (
    "Please get medical help now: call 999 (or your local emergency number) or go to the "
    "emergency department. These signs need a doctor to look at them today. Massage and "
    "exercises are paused for you until you tell openchair you have been seen."
)
URGENT_MESSAGE = (
    "Please get medical advice today: ask for an urgent appointment with your GP or call NHS 111 "
    "(or your local urgent care line). Massage and exercises are paused for you until you tell "
    "openchair you have been seen."
)
HELD_REASON = (
    "Massage is paused: your pain diary noted a sign that needs medical advice first. Once you "
    "have been seen, confirm it in the diary and the chair is yours again."
)


class RedFlagError(ValueError):
    pass


def check_answers(answers: dict[str, bool]) -> dict[str, bool]:
    """Only known questions, only yes/no; missing questions count as not asked (no)."""
    out: dict[str, bool] = {}
    for k, v in answers.items():
        if k not in RED_FLAG_IDS:
            raise RedFlagError(f"unknown red-flag question {k!r}; known: {', '.join(RED_FLAG_IDS)}")
        if not isinstance(v, bool):
            raise RedFlagError(f"red-flag answer {k!r} must be yes or no, not {v!r}")
        out[k] = v
    return out


def message_for(answers: dict[str, bool]) -> str | None:
    """The message a person sees for these answers; None when every answer is no."""
    yes = [f for f in RED_FLAG_QUESTIONS if answers.get(f.id)]
    if not yes:
        return None
    if any(f.level == "emergency" for f in yes):
        return EMERGENCY_MESSAGE
    return URGENT_MESSAGE


def questions_view() -> list[dict[str, str]]:
    return [{"id": f.id, "ask": f.ask, "level": f.level} for f in RED_FLAG_QUESTIONS]
