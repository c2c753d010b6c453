"""The break scheduler: when to offer a micro or a movement break, and what the person may do.

Pure logic on injected time: :meth:`BreakScheduler.tick` is called with the current time (a real
clock in ``openchair breaks``, a simulated one in the tests), and the person's answers come in
through :meth:`postpone`, :meth:`skip` and :meth:`finish`. Where the platform can tell, an idle
source (seconds since the last input) and a quiet source (do-not-disturb or a full-screen
presentation) are injected too. The rules and where they come from are in docs/CARE.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from openchair.care.model import Exercise
from openchair.care.plan import BREAK_EXERCISES_PLACES, allowed
from openchair.care.records import BreakKind, BreakRecord, BreakRepository, Outcome
from openchair.care.settings import PlanSettings

ANSWER_MINUTES = 10.0
"""A break nobody answers within this time is recorded as missed and comes back later."""


class BreakRefusedError(Exception):
    """The rules do not allow this answer now (strict mode, or a limit reached)."""


@dataclass(frozen=True)
class OfferedBreak:
    kind: BreakKind
    at: datetime
    exercise: str | None
    seconds: float
    postpones_left: int
    skips_left: int

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "exercise": self.exercise,
            "seconds": self.seconds,
            "postpones_left": self.postpones_left,
            "skips_left": self.skips_left,
        }


def current_shift(settings: PlanSettings, now: datetime) -> tuple[datetime, datetime] | None:
    """The work period (UTC) that ``now`` falls in, if any; a night shift started yesterday too."""
    local = now.astimezone(settings.zone)
    for day in (local.date() - timedelta(days=1), local.date()):
        shift = settings.shift(day)
        if shift and shift[0] <= now < shift[1]:
            return shift[0].astimezone(UTC), shift[1].astimezone(UTC)
    return None


def _no_idle() -> float:
    return 0.0


def _never_quiet() -> bool:
    return False


class BreakScheduler:
    """Offers breaks in working hours after stretches of sitting; records every outcome."""

    def __init__(
        self,
        settings: PlanSettings,
        repo: BreakRepository,
        exercises: Sequence[Exercise],
        idle_seconds: Callable[[], float] = _no_idle,
        quiet: Callable[[], bool] = _never_quiet,
    ) -> None:
        self.settings = settings
        self.rules = settings.breaks
        self.repo = repo
        ok = allowed(exercises, settings)
        desk = [e for e in ok if set(e.where) & set(BREAK_EXERCISES_PLACES)]
        pain = [e for e in desk if set(e.areas) & set(settings.pain_areas)]
        # Pain-area exercises come round twice as often as the others.
        self._rotation = sorted(e.label() for e in desk) + sorted(e.label() for e in pain)
        self._turn = 0
        self._idle = idle_seconds
        self._quiet = quiet
        self._shift: tuple[datetime, datetime] | None = None
        self._sitting_since: datetime | None = None
        self._last_micro: datetime | None = None
        self._long_due: datetime | None = None
        self._micro_due: datetime | None = None
        self._pending: OfferedBreak | None = None
        self._postpones = 0
        self._skips: dict[date, int] = {}
        self._last_tick: datetime | None = None
        self._away = False

    # -- state seen by a user interface ------------------------------------------------------
    @property
    def pending(self) -> OfferedBreak | None:
        return self._pending

    @property
    def shift_day(self) -> date | None:
        return self._day() if self._shift else None

    def _day(self) -> date:
        """The work day a record belongs to: the local date the current shift started."""
        assert self._shift is not None
        return self._shift[0].astimezone(self.settings.zone).date()

    def next_due(self) -> datetime | None:
        dues = [d for d in (self._long_due, self._micro_due) if d is not None]
        return min(dues) if dues else None

    # -- the clock ---------------------------------------------------------------------------
    def _current_shift(self, now: datetime) -> tuple[datetime, datetime] | None:
        return current_shift(self.settings, now)

    def _record(self, now: datetime, kind: BreakKind, outcome: Outcome, sat: float = 0.0) -> None:
        assert self._shift is not None
        exercise = self._pending.exercise if self._pending else None
        self.repo.add(BreakRecord(now, self._day(), kind, outcome, exercise, round(sat, 2)))

    def _sat_minutes(self, now: datetime) -> float:
        if self._sitting_since is None:
            return 0.0
        return max(0.0, (now - self._sitting_since).total_seconds() / 60.0)

    def _reset_sitting(self, now: datetime) -> None:
        self._sitting_since = now
        self._last_micro = now
        self._long_due = now + timedelta(minutes=self.rules.every_minutes)
        self._micro_due = (
            now + timedelta(minutes=self.rules.micro_every_minutes)
            if self.rules.micro_every_minutes
            else None
        )
        self._postpones = 0

    def tick(self, now: datetime) -> OfferedBreak | None:
        """Advance to ``now``; returns a break when one is newly offered."""
        # All arithmetic in UTC: Python subtracts two times of one zone by their wall clocks,
        # which would lose or add the hour of a clock change.
        now = now.astimezone(UTC)
        gap = (now - self._last_tick).total_seconds() if self._last_tick else 0.0
        self._last_tick = now
        shift = self._current_shift(now)
        if shift != self._shift:
            if self._shift is not None:
                end = min(now, self._shift[1])
                if self._pending is not None:
                    self._record(end, self._pending.kind, "missed")
                    self._pending = None
                self._record(end, "long", "day-end", self._sat_minutes(end))
            self._shift = shift
            if shift is not None:
                self._reset_sitting(now)
            return None
        if shift is None:
            return None
        away_s = max(self._idle(), gap)
        natural = self.rules.idle_counts_as_break_minutes * 60.0
        if away_s >= natural:
            if not self._away:
                left = now - timedelta(seconds=away_s)
                kind: BreakKind = self._pending.kind if self._pending else "long"
                self._record(now, kind, "natural", self._sat_minutes(max(left, shift[0])))
                self._pending = None
                self._away = True
            self._reset_sitting(now)
            return None
        self._away = False
        if self._pending is not None:
            if now - self._pending.at >= timedelta(minutes=ANSWER_MINUTES):
                self._record(now, self._pending.kind, "missed")
                self._pending = None
                self._long_due = now + timedelta(minutes=self.rules.every_minutes / 2)
            return None
        if self._quiet():
            return None  # held until the presentation or do-not-disturb ends
        assert self._long_due is not None
        if now >= self._long_due:
            return self._offer(now, "long")
        if self._micro_due is not None and now >= self._micro_due:
            if self._long_due - now <= timedelta(minutes=self.rules.micro_every_minutes / 2):
                self._micro_due = None  # a movement break comes soon anyway
                return None
            return self._offer(now, "micro")
        return None

    def _offer(self, now: datetime, kind: BreakKind) -> OfferedBreak:
        exercise = None
        if kind == "long" and self._rotation:
            exercise = self._rotation[self._turn % len(self._rotation)]
            self._turn += 7  # a stride through the list, so neighbours do not repeat
        seconds = (
            self.rules.long_break_minutes * 60 if kind == "long" else self.rules.micro_break_seconds
        )
        self._pending = OfferedBreak(
            kind, now, exercise, seconds, self._postpones_left(), self._skips_left()
        )
        self._record(now, kind, "offered")
        return self._pending

    def _postpones_left(self) -> int:
        return 0 if self.rules.strict else max(0, self.rules.postpone_limit - self._postpones)

    def _skips_left(self) -> int:
        if self.rules.strict or self._shift is None:
            return 0
        used = self._skips.get(self._day(), 0)
        return max(0, self.rules.skip_limit_per_day - used)

    # -- the person's answers ----------------------------------------------------------------
    def _need_pending(self) -> OfferedBreak:
        if self._pending is None:
            raise BreakRefusedError("no break is waiting")
        return self._pending

    def postpone(self, now: datetime) -> datetime:
        """Put the waiting break off; returns when it comes back."""
        now = now.astimezone(UTC)
        b = self._need_pending()
        if self.rules.strict:
            raise BreakRefusedError("strict mode: breaks cannot be postponed")
        if self._postpones >= self.rules.postpone_limit:
            raise BreakRefusedError(f"this break was already postponed {self._postpones} times")
        self._postpones += 1
        self._record(now, b.kind, "postponed")
        back = now + timedelta(minutes=self.rules.postpone_minutes)
        if b.kind == "long":
            self._long_due = back
        else:
            self._micro_due = back
        self._pending = None
        return back

    def skip(self, now: datetime) -> None:
        now = now.astimezone(UTC)
        b = self._need_pending()
        if self.rules.strict:
            raise BreakRefusedError("strict mode: breaks cannot be skipped")
        if self._skips_left() <= 0:
            raise BreakRefusedError(f"{self.rules.skip_limit_per_day} breaks already skipped today")
        day = self._day()
        self._skips[day] = self._skips.get(day, 0) + 1
        self._record(now, b.kind, "skipped")
        self._pending = None
        if b.kind == "long":
            self._long_due = now + timedelta(minutes=self.rules.every_minutes)
            self._postpones = 0
        else:
            self._micro_due = now + timedelta(minutes=self.rules.micro_every_minutes)

    def finish(self, now: datetime, fully: bool = True) -> None:
        """The person took the break: all of it (done) or some of it (partly)."""
        now = now.astimezone(UTC)
        b = self._need_pending()
        outcome: Outcome = "done" if fully else "partly"
        if b.kind == "long":
            self._record(now, b.kind, outcome, self._sat_minutes(b.at))
            self._pending = None
            self._reset_sitting(now)
        else:
            self._record(now, b.kind, outcome)
            self._pending = None
            self._micro_due = now + timedelta(minutes=self.rules.micro_every_minutes)
