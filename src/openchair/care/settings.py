"""The person's plan settings: work hours and days, time zone, pain areas, chair, break rules.

Stored as TOML in the data folder (``$OPENCHAIR_DATA_DIR``, else ``$XDG_DATA_HOME/openchair``,
else ``~/.local/share/openchair``). A missing file means the defaults; a broken one is reported
with its line and field, never a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from openchair.care.model import Area, CautionFlag
from openchair.inputs.files import InputFileError, read_text_bounded
from openchair.inputs.limits import CARE_FILE_MAX_BYTES

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

SETTINGS_FILE = "care.toml"


def data_dir() -> Path:
    """Where the companion keeps its settings and records."""
    env = os.environ.get("OPENCHAIR_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "openchair"


def local_zone_name() -> str:
    """This computer's IANA time zone ($TZ, else /etc/localtime's target), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    link = Path("/etc/localtime")
    if link.is_symlink():
        target = str(link.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"


def clock_time(text: str) -> time:
    m = _CLOCK.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a time of day like 09:00")
    return time(int(m.group(1)), int(m.group(2)))


_STRICT = ConfigDict(extra="forbid", frozen=True)


class BreakRules(BaseModel):
    """Break rules, after the popular break reminders (docs/CARE.md says where each comes from)."""

    model_config = _STRICT
    every_minutes: int = Field(
        60, ge=20, le=180, description="A movement break after this much sitting."
    )
    long_break_minutes: float = Field(5, ge=1, le=15, description="Length of a movement break.")
    micro_every_minutes: int = Field(
        20, ge=0, le=60, description="A short micro break (stand, look away); 0 turns them off."
    )
    micro_break_seconds: float = Field(30, ge=10, le=120)
    postpone_minutes: float = Field(5, ge=1, le=30, description="How long one postpone waits.")
    postpone_limit: int = Field(2, ge=0, le=5, description="Postpones allowed for one break.")
    skip_limit_per_day: int = Field(3, ge=0, le=20, description="Skips allowed in one day.")
    strict: bool = Field(False, description="No postpone and no skip at all.")
    idle_counts_as_break_minutes: float = Field(
        5, ge=1, le=60, description="Away from the computer this long counts as a break."
    )
    posture_nudges: bool = Field(
        True, description="Show the posture monitor's nudges where break reminders appear."
    )
    nudge_gap_minutes: float = Field(
        20, ge=5, le=240, description="At most one posture nudge shown in this many minutes."
    )


class PlanSettings(BaseModel):
    """Everything the daily plan is made from."""

    model_config = _STRICT
    timezone: str = "UTC"
    work_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    work_start: str = "09:00"
    work_end: str = Field("17:30", description="Earlier than work_start: a shift past midnight.")
    pain_areas: list[Area] = Field(default_factory=list)
    has_chair: bool = True
    liked_program: str | None = None
    cautions: list[CautionFlag] = Field(
        default_factory=list, description="Exercises that name one of these are left out."
    )
    morning: str = "07:30"
    evening: str = "19:30"
    stretch: str = "21:00"
    long_sitting_hours: float = Field(
        6, ge=1, le=16, description="A work day this long counts as a day of long sitting."
    )
    reminder_minutes: int = Field(5, ge=0, le=120, description="Calendar alarm before an item.")
    breaks: BreakRules = Field(default_factory=BreakRules)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone name like Europe/Berlin") from None
        return v

    @field_validator("work_start", "work_end", "morning", "evening", "stretch")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_time(v)
        return v

    @field_validator("work_days", "pain_areas", "cautions")
    @classmethod
    def _no_repeats(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("names an entry twice")
        return v

    @model_validator(mode="after")
    def _work_has_length(self) -> PlanSettings:
        if self.work_start == self.work_end:
            raise ValueError("work_start and work_end are the same time")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def crosses_midnight(self) -> bool:
        return clock_time(self.work_end) <= clock_time(self.work_start)

    def is_work_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.work_days

    def shift(self, day: date) -> tuple[datetime, datetime] | None:
        """The work period that starts on ``day`` (aware, local), or None on a day off.

        Wall-clock times are kept across a change to or from summer time: a shift from 22:00 to
        06:00 on the night the clocks change is 7 or 9 hours long, as the person lives it.
        """
        if not self.is_work_day(day):
            return None
        start = datetime.combine(day, clock_time(self.work_start), self.zone)
        end_day = day + timedelta(days=1) if self.crosses_midnight() else day
        end = datetime.combine(end_day, clock_time(self.work_end), self.zone)
        return start, end

    def at(self, day: date, clock: str) -> datetime:
        return datetime.combine(day, clock_time(clock), self.zone)


class SettingsError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def settings_path() -> Path:
    return data_dir() / SETTINGS_FILE


def parse_settings(text: str, source: str) -> PlanSettings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SettingsError([f"{source}: not valid TOML: {err}"]) from None
    try:
        return PlanSettings.model_validate(data)
    except ValidationError as err:
        from openchair.care.loader import _describe, _line_of

        raise SettingsError(
            [
                f"{source}:{_line_of(text, tuple(e['loc']))}: "
                + "".join(f"{p}." for p in e["loc"]).removesuffix(".")
                + (": " if e["loc"] else "")
                + _describe(dict(e))
                for e in err.errors()
            ]
        ) from None


def load_settings(path: Path | None = None) -> PlanSettings:
    """The settings file, or the defaults when there is none."""
    path = path or settings_path()
    if not path.exists():
        return PlanSettings()
    try:
        text = read_text_bounded(path, CARE_FILE_MAX_BYTES, "settings")
    except InputFileError as err:
        raise SettingsError([str(err)]) from None
    return parse_settings(text, str(path))


def settings_toml(s: PlanSettings) -> str:
    """The settings as TOML (to write a starting file a person then edits)."""
    lines = []

    def val(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return f"{v:g}" if isinstance(v, float) else str(v)

    for k, v in s.model_dump().items():
        if k == "breaks" or v is None:
            continue
        lines.append(f"{k} = {val(v)}")
    lines.append("")
    lines.append("[breaks]")
    for k, v in s.breaks.model_dump().items():
        lines.append(f"{k} = {val(v)}")
    return "\n".join(lines) + "\n"
