"""The companion's state inside the web server: settings, exercises, one break scheduler per
person on the service's clock, posture nudges for the break poll, and the posture monitor's day
summaries (kept in the chair's database).

The break scheduler is pure and ticked here on demand: every ``GET /api/breaks/next`` advances it
to now, catching up in one-minute steps when nobody asked for a while (so a break that fell due
while no page was open is offered, and after ten unanswered minutes recorded as missed, exactly
as the desktop helper would have). Time is injected (``now``), so the tests run whole work days
in a few seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openchair.care.breaks import BreakScheduler, OfferedBreak
from openchair.care.diary_store import StoreBreakRepository, latest_screening
from openchair.care.loader import ExerciseLibrary
from openchair.care.model import Exercise
from openchair.care.nudges import Nudge, NudgeGate
from openchair.care.posture_store import days, import_json_file, put_day
from openchair.care.screening import ScreeningRules, load_rules
from openchair.care.settings import PlanSettings, load_settings
from openchair.posture.events import PostureDaySummary
from openchair.store.database import Store

CATCH_UP_STEP = timedelta(minutes=1)
CATCH_UP_MAX = timedelta(hours=24)
POSTURE_FILE = "posture_days.json"
NUDGE_FRESH = timedelta(minutes=2)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Waiting:
    """A break offered to a person, with the id the page answers it by."""

    id: int
    person: str
    offered: OfferedBreak


@dataclass
class CareDesk:
    settings_source: Callable[[], PlanSettings] = load_settings
    now: Callable[[], datetime] = utc_now
    poll_s: float = 5.0
    """How often the break page asks for the next break."""
    exercise_library: ExerciseLibrary = field(default_factory=ExerciseLibrary)
    data_dir: Path | None = None
    """The data folder: a ``posture_days.json`` left there by an older openchair is moved into
    the database at the first posture request (``care.posture_store``)."""
    _exercises: list[Exercise] | None = None
    _rules: ScreeningRules | None = None
    _schedulers: dict[str, BreakScheduler] = field(default_factory=dict)
    _last_tick: dict[str, datetime] = field(default_factory=dict)
    _waiting: dict[str, Waiting] = field(default_factory=dict)
    _next_id: int = 1
    _posture_imported: bool = False
    _gates: dict[str, NudgeGate] = field(default_factory=dict)
    _away_since: dict[str, datetime] = field(default_factory=dict)
    _tick_at: datetime | None = None
    _nudges: dict[str, tuple[datetime, Nudge]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- data the pages read ----------------------------------------------------------------
    def settings(self) -> PlanSettings:
        """The plan settings (SettingsError when the file is broken)."""
        return self.settings_source()

    def exercises(self) -> list[Exercise]:
        if self._exercises is None:
            self._exercises, _problems = self.exercise_library.load_all()
        return self._exercises

    def rules(self) -> ScreeningRules:
        if self._rules is None:
            self._rules = load_rules()
        return self._rules

    # -- breaks -----------------------------------------------------------------------------
    def _scheduler(self, store: Store, person: str) -> BreakScheduler:
        sched = self._schedulers.get(person)
        if sched is None:
            latest_screening(store, person)  # CareDataError: no such person
            sched = BreakScheduler(
                self.settings(),
                StoreBreakRepository(store, person),
                self.exercises(),
                idle_seconds=self._idle_of(person),
            )
            self._schedulers[person] = sched
        return sched

    def tick(self, store: Store, person: str) -> tuple[BreakScheduler, Waiting | None]:
        """Advance ``person``'s scheduler to now; the break waiting for them, if any."""
        with self.lock:
            sched = self._scheduler(store, person)
            now = self.now().astimezone(UTC)
            last = self._last_tick.get(person)
            if last is not None and now > last:
                t = max(last, now - CATCH_UP_MAX) + CATCH_UP_STEP
                while t < now:
                    self._tick_at = t
                    sched.tick(t)
                    t += CATCH_UP_STEP
            if last is None or now >= last:
                self._tick_at = now
                sched.tick(now)
                self._last_tick[person] = now
            return sched, self._track(person, sched.pending)

    def _track(self, person: str, pending: OfferedBreak | None) -> Waiting | None:
        if pending is None:
            self._waiting.pop(person, None)
            return None
        w = self._waiting.get(person)
        if w is None or w.offered is not pending:
            w = Waiting(self._next_id, person, pending)
            self._next_id += 1
            self._waiting[person] = w
        return w

    def waiting_by_id(self, break_id: int) -> Waiting | None:
        with self.lock:
            for w in self._waiting.values():
                if w.id == break_id:
                    return w
            return None

    def forget_waiting(self, person: str) -> None:
        with self.lock:
            self._waiting.pop(person, None)

    # -- presence from the posture monitor: away from the desk is idle time for the breaks --
    def _idle_of(self, person: str) -> Callable[[], float]:
        """The scheduler's idle source for ``person``: seconds away from the desk as the posture
        monitor saw it, at the time the scheduler is being ticked to (catch-up steps too)."""

        def idle() -> float:
            since = self._away_since.get(person)
            if since is None or self._tick_at is None:
                return 0.0
            return max(0.0, (self._tick_at - since).total_seconds())

        return idle

    def presence(self, store: Store, person: str, away: bool, at: datetime) -> datetime | None:
        """The posture watcher saw ``person`` leave (``away``, ``at`` when last seen) or come
        back. Away long enough (``idle_counts_as_break_minutes``) is a natural break, exactly
        as the desktop helper's idle time: the scheduler is ticked to now before a return is
        taken, so an absence nobody polled during still counts. Returns since when away."""
        with self.lock:
            at = min(at.astimezone(UTC), self.now().astimezone(UTC))
            if away:
                self.tick(store, person)  # CareDataError: no such person
                self._away_since[person] = at
            else:
                if person in self._away_since:
                    self.tick(store, person)
                self._away_since.pop(person, None)
                self.tick(store, person)
            return self._away_since.get(person)

    # -- posture nudges: through the break poll, under the break rules ----------------------
    def offer_nudge(self, store: Store, person: str, nudge: Nudge) -> str | None:
        """Take a nudge from the posture watcher: None when the page will show it at its next
        poll, else why it is held back (outside working hours, a break waiting, too soon after
        the last one: ``care.nudges``)."""
        with self.lock:
            _, waiting = self.tick(store, person)  # CareDataError: no such person
            gate = self._gates.get(person)
            if gate is None:
                gate = self._gates[person] = NudgeGate(self.settings)
            why = gate.admit(self.now(), break_waiting=waiting is not None)
            if why is None:
                self._nudges[person] = (self.now(), nudge)
            return why

    def take_nudge(self, person: str) -> Nudge | None:
        """The nudge for the page, once: the first poll after it came takes it. One not taken
        within ``NUDGE_FRESH`` (no page open) is dropped: the slouch it was about has moved on."""
        with self.lock:
            kept = self._nudges.pop(person, None)
            if kept is None or self.now() - kept[0] > NUDGE_FRESH:
                return None
            return kept[1]

    # -- posture ----------------------------------------------------------------------------
    def _import_once(self, store: Store) -> None:
        """Move an old ``posture_days.json`` of the data folder into the database, once."""
        if self._posture_imported or self.data_dir is None:
            return
        self._posture_imported = True
        import_json_file(store, self.data_dir / POSTURE_FILE)

    def put_posture(self, store: Store, person: str, summary: PostureDaySummary) -> None:
        """Keep (or replace) the day in the database; ``CareDataError`` for nobody."""
        with self.lock:
            self._import_once(store)
            put_day(store, person, summary)

    def posture(self, store: Store, person: str) -> list[PostureDaySummary]:
        with self.lock:
            self._import_once(store)
            return days(store, person)
