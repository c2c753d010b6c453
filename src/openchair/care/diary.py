"""A pain-diary entry: pain 0-10, where, morning stiffness, what helped or hurt, notes, red flags.

Quick to fill in: only the pain number is required; the areas are taps on a drawing of the back
(:func:`back_svg`), the red-flag questions default to "no". Every value is checked here, so the
CLI, the web API and imports all refuse the same bad input with the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openchair.care.model import Area
from openchair.care.redflags import check_answers

PAIN_MIN, PAIN_MAX = 0, 10
STIFFNESS_MAX_MIN = 24 * 60
NOTES_MAX = 2000
FACTOR_MAX = 80
FACTORS_MAX = 10

BODY_REGIONS: dict[str, tuple[str, Area]] = {
    "neck": ("neck", "neck"),
    "shoulder-left": ("left shoulder", "shoulders"),
    "shoulder-right": ("right shoulder", "shoulders"),
    "upper-back-left": ("upper back, left", "upper-back"),
    "upper-back-right": ("upper back, right", "upper-back"),
    "mid-back-left": ("middle back, left", "upper-back"),
    "mid-back-right": ("middle back, right", "upper-back"),
    "lower-back-left": ("lower back, left", "lower-back"),
    "lower-back-right": ("lower back, right", "lower-back"),
    "buttock-left": ("left buttock", "hips"),
    "buttock-right": ("right buttock", "hips"),
    "thigh-left": ("back of left thigh", "legs"),
    "thigh-right": ("back of right thigh", "legs"),
    "calf-left": ("left calf", "legs"),
    "calf-right": ("right calf", "legs"),
}
"""Regions of the back drawing: id → (words a person reads, the plan's body area)."""

COMMON_FACTORS: tuple[str, ...] = (
    "sitting",
    "standing",
    "walking",
    "bending",
    "lifting",
    "sleep",
    "massage",
    "exercise",
    "heat",
    "rest",
    "stress",
)
"""Offered as one-tap choices for "better" and "worse"; anything else can be typed."""


class DiaryError(ValueError):
    """An entry cannot be kept as it is; the message names the field and what is allowed."""


@dataclass(frozen=True)
class DiaryEntry:
    at: datetime
    pain: int
    areas: tuple[str, ...] = ()
    stiffness_min: int | None = None
    better: tuple[str, ...] = ()
    worse: tuple[str, ...] = ()
    notes: str = ""
    red_flags: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_entry(self)

    @property
    def plan_areas(self) -> list[Area]:
        out: list[Area] = []
        for r in self.areas:
            a = BODY_REGIONS[r][1]
            if a not in out:
                out.append(a)
        return out

    @property
    def any_red_flag(self) -> bool:
        return any(self.red_flags.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "pain": self.pain,
            "areas": list(self.areas),
            "stiffness_min": self.stiffness_min,
            "better": list(self.better),
            "worse": list(self.worse),
            "notes": self.notes,
            "red_flags": dict(self.red_flags),
        }


def _factors(name: str, values: tuple[str, ...]) -> None:
    if len(values) > FACTORS_MAX:
        raise DiaryError(f"{name}: at most {FACTORS_MAX} things")
    for v in values:
        if not isinstance(v, str) or not v.strip() or len(v) > FACTOR_MAX:
            raise DiaryError(f"{name}: each thing is a word or a few (1..{FACTOR_MAX} characters)")


def check_entry(e: DiaryEntry) -> None:
    if e.at.tzinfo is None:
        raise DiaryError("at: a time with its zone is needed")
    if isinstance(e.pain, bool) or not isinstance(e.pain, int):
        raise DiaryError(f"pain: {e.pain!r} is not a whole number 0..10")
    if not PAIN_MIN <= e.pain <= PAIN_MAX:
        raise DiaryError(f"pain: {e.pain} is outside 0..10 (0 no pain, 10 the worst imaginable)")
    unknown = [a for a in e.areas if a not in BODY_REGIONS]
    if unknown:
        raise DiaryError(
            f"areas: unknown {', '.join(map(repr, unknown))}; known: {', '.join(BODY_REGIONS)}"
        )
    if len(set(e.areas)) != len(e.areas):
        raise DiaryError("areas: each area once")
    if e.stiffness_min is not None and (
        isinstance(e.stiffness_min, bool)
        or not isinstance(e.stiffness_min, int)
        or not 0 <= e.stiffness_min <= STIFFNESS_MAX_MIN
    ):
        raise DiaryError(f"stiffness: minutes 0..{STIFFNESS_MAX_MIN}, not {e.stiffness_min!r}")
    _factors("better", e.better)
    _factors("worse", e.worse)
    if len(e.notes) > NOTES_MAX:
        raise DiaryError(f"notes: at most {NOTES_MAX} characters")
    try:
        check_answers(dict(e.red_flags))
    except ValueError as err:
        raise DiaryError(str(err)) from None


def entry_from_dict(d: dict[str, object]) -> DiaryEntry:
    """An entry from JSON (the web form, an import); DiaryError names what is wrong."""
    try:
        at = datetime.fromisoformat(str(d["at"]))
        pain = d["pain"]
    except KeyError as err:
        raise DiaryError(f"{err.args[0]}: missing") from None
    except ValueError:
        raise DiaryError(f"at: {d.get('at')!r} is not a date and time") from None

    def strings(key: str) -> tuple[str, ...]:
        v = d.get(key) or []
        if not isinstance(v, list):
            raise DiaryError(f"{key}: a list is expected")
        return tuple(str(x) for x in v)

    stiff = d.get("stiffness_min")
    flags = d.get("red_flags") or {}
    if not isinstance(flags, dict):
        raise DiaryError("red_flags: an object of yes/no answers is expected")
    return DiaryEntry(
        at=at,
        pain=pain,  # type: ignore[arg-type]
        areas=strings("areas"),
        stiffness_min=stiff,  # type: ignore[arg-type]
        better=strings("better"),
        worse=strings("worse"),
        notes=str(d.get("notes") or ""),
        red_flags={str(k): v for k, v in flags.items()},
    )


# The drawing: a person seen from behind, each region a clickable shape with data-region.
_SHAPES: dict[str, str] = {
    "neck": "M88,40 L112,40 L114,62 L86,62 Z",
    "shoulder-left": "M86,62 L100,62 L100,78 L52,84 C54,70 66,64 86,62 Z",
    "shoulder-right": "M100,62 L114,62 C134,64 146,70 148,84 L100,78 Z",
    "upper-back-left": "M52,84 L100,78 L100,118 L60,120 Z",
    "upper-back-right": "M100,78 L148,84 L140,120 L100,118 Z",
    "mid-back-left": "M60,120 L100,118 L100,152 L64,154 Z",
    "mid-back-right": "M100,118 L140,120 L136,154 L100,152 Z",
    "lower-back-left": "M64,154 L100,152 L100,186 L62,188 Z",
    "lower-back-right": "M100,152 L136,154 L138,188 L100,186 Z",
    "buttock-left": "M62,188 L100,186 L100,222 C84,228 66,224 60,214 Z",
    "buttock-right": "M100,186 L138,188 L140,214 C134,224 116,228 100,222 Z",
    "thigh-left": "M60,214 C66,224 84,228 98,222 L94,290 L66,290 Z",
    "thigh-right": "M102,222 C116,228 134,224 140,214 L134,290 L106,290 Z",
    "calf-left": "M66,294 L94,294 L90,366 L72,366 Z",
    "calf-right": "M106,294 L134,294 L128,366 L110,366 Z",
}


def back_svg(selected: Sequence[str] = (), size_px: int = 240) -> str:
    """The back drawing as SVG text: every region is a ``<path data-region=ID>`` a page makes
    clickable (toggle the ``selected`` class); ``selected`` regions are drawn marked."""
    chosen = set(selected)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 380" '
        f'width="{size_px}" height="{round(size_px * 1.9)}" role="group" '
        'aria-label="Where does it hurt? The body seen from behind.">',
        "<style>.region{fill:#eef1f4;stroke:#6b7785;stroke-width:1.2;cursor:pointer}"
        ".region.selected{fill:#e4572e;fill-opacity:.75}"
        ".region:hover{fill:#f6c4b5}</style>",
        '<circle cx="100" cy="22" r="18" fill="#eef1f4" stroke="#6b7785" stroke-width="1.2"/>',
        '<path d="M52,84 L36,170 L44,172 L60,120" fill="none" stroke="#6b7785"/>',
        '<path d="M148,84 L164,170 L156,172 L140,120" fill="none" stroke="#6b7785"/>',
    ]
    for rid, d in _SHAPES.items():
        cls = "region selected" if rid in chosen else "region"
        label = BODY_REGIONS[rid][0]
        parts.append(
            f'<path id="region-{rid}" class="{cls}" data-region="{rid}" d="{d}">'
            f"<title>{label}</title></path>"
        )
    parts.append(
        '<text x="8" y="376" font-size="9" fill="#6b7785" font-family="sans-serif">left</text>'
        '<text x="172" y="376" font-size="9" fill="#6b7785" font-family="sans-serif">right</text>'
        "</svg>"
    )
    return "".join(parts)
