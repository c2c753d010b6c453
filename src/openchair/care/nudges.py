"""Posture nudges through the break reminders' channels, under the break reminders' rules.

The posture monitor decides when a slouch has lasted long enough to nudge (``PostureEvent`` of
kind ``nudge``). Whether the person is shown it now is decided here, by the rules the movement
breaks follow, so a nudge never arrives where a break would not:

- only inside the work period (``work_days``, ``work_start``-``work_end``), like the breaks;
- never under do-not-disturb or a full-screen presentation (the same ``quiet`` source as the
  break scheduler);
- never while a movement break is waiting to be answered (the break gets the person up anyway);
- at most one every ``[breaks] nudge_gap_minutes`` (20 by default), on top of the monitor's own
  limit of one per ten minutes of one slouch; ``[breaks] posture_nudges = false`` turns them off.

A nudge held back is dropped, not queued: a slouch that has ended needs no nudge, and one that
goes on brings the next nudge from the monitor. Shown nudges go out through the same functions as
break reminders: ``openchair posture watch`` calls the desktop notification that ``openchair
breaks`` uses; with ``--send-to`` the chair hands it to the page in the break poll.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openchair.care.breaks import current_shift
from openchair.care.posture_plan import minutes_text
from openchair.care.settings import PlanSettings
from openchair.posture.events import PostureEvent, PostureEventKind

NUDGE_TITLE = "Posture check"
_REASON_TEXT = {
    "head_forward": "your head has come forward",
    "slumped": "you have sunk down in the chair",
    "shoulders_raised": "your shoulders are raised",
    "leaning_sideways": "you are leaning to one side",
    "too_close": "you have come close to the screen",
    "neck_bent": "your neck is bent forward",
    "torso_bent": "you are bent forward",
}


@dataclass(frozen=True)
class Nudge:
    """One nudge as the person is shown it."""

    at: datetime
    reasons: tuple[str, ...]
    slouched_for_s: float

    @classmethod
    def from_event(cls, event: PostureEvent) -> Nudge:
        if event.kind is not PostureEventKind.NUDGE:
            raise ValueError(f"a {event.kind.value} event is not a nudge")
        return cls(
            datetime.fromtimestamp(event.t_s, UTC),
            tuple(r.value for r in event.reasons),
            event.slouched_for_s,
        )

    def body(self) -> str:
        what = [_REASON_TEXT.get(r, r.replace("_", " ")) for r in self.reasons]
        said = " and ".join(what) if what else "you have slouched"
        return (
            f"For {minutes_text(self.slouched_for_s / 60)} {said}. "
            "Sit back and tall, and let the shoulders drop."
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "title": NUDGE_TITLE,
            "body": self.body(),
            "at": self.at.isoformat(),
            "reasons": list(self.reasons),
            "slouched_for_s": round(self.slouched_for_s, 1),
        }


def _never_quiet() -> bool:
    return False


class NudgeGate:
    """Admits a nudge when the break rules allow it now; remembers when the last one was shown."""

    def __init__(
        self,
        settings: Callable[[], PlanSettings],
        quiet: Callable[[], bool] = _never_quiet,
    ) -> None:
        self._settings = settings
        self._quiet = quiet
        self.last_shown: datetime | None = None

    def admit(self, now: datetime, *, break_waiting: bool = False) -> str | None:
        """None when the nudge may be shown at ``now`` (and counts as shown); else why not."""
        settings = self._settings()
        rules = settings.breaks
        now = now.astimezone(UTC)
        if not rules.posture_nudges:
            return "posture nudges are turned off ([breaks] posture_nudges = false)"
        if current_shift(settings, now) is None:
            return "outside working hours"
        if self._quiet():
            return "do-not-disturb is on"
        if break_waiting:
            return "a movement break is waiting"
        gap = timedelta(minutes=rules.nudge_gap_minutes)
        if self.last_shown is not None and now - self.last_shown < gap:
            ago = (now - self.last_shown).total_seconds() / 60
            return (
                f"a nudge was shown {minutes_text(ago)} ago "
                f"(at most one every {rules.nudge_gap_minutes:g} min)"
            )
        self.last_shown = now
        return None


Show = Callable[[str, str], object]


class NudgeChannel:
    """The monitor's events in, nudges out through ``show(title, body)`` when the gate admits
    them. The time is the event's own (the frames' clock), so a recording replays exactly."""

    def __init__(self, gate: NudgeGate, show: Show) -> None:
        self.gate = gate
        self._show = show
        self.shown: list[Nudge] = []
        self.held: list[tuple[Nudge, str]] = []

    def handle(self, event: PostureEvent) -> Nudge | None:
        """The nudge shown for ``event``, or None (not a nudge, or held back)."""
        if event.kind is not PostureEventKind.NUDGE:
            return None
        nudge = Nudge.from_event(event)
        why = self.gate.admit(nudge.at)
        if why is not None:
            self.held.append((nudge, why))
            return None
        self._show(NUDGE_TITLE, nudge.body())
        self.shown.append(nudge)
        return nudge
