"""Safety events and latches: what every rule family reports to, one log per supervisor.

A rule family calls :meth:`EventLog.edge` with the chairs where its rule acts this tick; the log
records an event where the rule has just begun acting and, for a latching rule (``rules.py``),
holds that chair in the safe state until ``reset``.

The chair service keeps one supervisor for the life of its process, so the log keeps only the
last events (:class:`EventList`), with exact counts per rule; readers that follow it by position
(``events[seen:]``, ``len(events)``) see every event as long as they read more often than
``EVENTS_KEPT_PER_CHAIR`` events happen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import SupportsIndex, overload

import numpy as np
import numpy.typing as npt

from openchair.safety.limits import EVENT_HOLDOFF_S
from openchair.safety.rules import RULES_BY_NAME

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Value = FloatArray | float | Callable[[], FloatArray | float]
"""What an event reports as the value seen: computed only when an event is recorded."""


@dataclass(frozen=True)
class SafetyEvent:
    """One intervention: when, which chair, which rule, what was seen, the limit, the reaction."""

    time_s: float
    chair: int
    rule: str
    value: float
    limit: float
    reaction: str

    def to_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 3),
            "chair": self.chair,
            "rule": self.rule,
            "value": round(self.value, 3),
            "limit": round(self.limit, 3),
            "reaction": self.reaction,
        }


EVENTS_KEPT_PER_CHAIR = 10_000
"""How many of the latest events the log keeps per chair of its batch: about 3 MB a chair. A
30-minute session records far fewer (a rule acting again within ``EVENT_HOLDOFF_S`` continues
its event), so a session's own record is always whole; only a long-running service forgets its
oldest events (their counts per rule stay)."""


class EventList(list[SafetyEvent]):
    """The last ``keep`` events (a little more between trims), numbered from the first ever.

    A list, so that every reader of ``supervisor.events`` keeps working: ``len()`` counts every
    event ever recorded, and an index or slice names events by that count (``events[seen:]``
    gives those recorded since ``seen``, less any already dropped). Iterating gives the events
    kept. ``counts`` holds, per rule, every event ever recorded."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        if keep < 1:
            raise ValueError(f"keep: at least one event (got {keep})")
        self.keep = keep
        self.dropped = 0
        """Events recorded, then forgotten (the oldest first)."""
        self.counts: Counter[str] = Counter()
        self._slack = max(1, keep // 8)  # trim in chunks: appending stays O(1) amortised

    @property
    def kept(self) -> int:
        return super().__len__()

    def append(self, event: SafetyEvent) -> None:
        super().append(event)
        self.counts[event.rule] += 1
        if super().__len__() > self.keep + self._slack:
            excess = super().__len__() - self.keep
            super().__delitem__(slice(0, excess))
            self.dropped += excess

    def __len__(self) -> int:
        return self.dropped + super().__len__()

    @overload
    def __getitem__(self, index: SupportsIndex) -> SafetyEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[SafetyEvent]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> SafetyEvent | list[SafetyEvent]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return list.__getitem__(
                    self, slice(max(start - self.dropped, 0), max(stop - self.dropped, 0))
                )
            return [
                list.__getitem__(self, i - self.dropped)
                for i in range(start, stop, step)
                if i >= self.dropped
            ]
        i = int(index)
        i = i + len(self) if i < 0 else i
        if not self.dropped <= i < len(self):
            raise IndexError(
                f"event {i}: {self.dropped} of {len(self)} events were dropped "
                f"(the last {self.keep} are kept)"
                if 0 <= i < self.dropped
                else f"event {i}: only {len(self)} events were recorded"
            )
        return list.__getitem__(self, i - self.dropped)


class EventLog:
    """The events of N chairs and which chairs are latched, by which rule."""

    def __init__(self, batch_size: int, keep_per_chair: int | None = None) -> None:
        self.batch_size = batch_size
        per_chair = EVENTS_KEPT_PER_CHAIR if keep_per_chair is None else keep_per_chair
        self.events = EventList(per_chair * batch_size)
        """The latest events (bounded; see :class:`EventList`)."""
        self.latched_rule: list[str | None] = [None] * batch_size
        self.latched = np.zeros(batch_size, dtype=bool)
        """Chairs held in the safe state (the log's own array: read it, never write to it)."""
        self.latched_at_s: FloatArray = np.full(batch_size, np.nan)
        self.supply_cut_s: FloatArray = np.full(batch_size, np.inf)
        """Per latched chair, how long after latching its supply relay must open (inf: never)."""
        self._active: dict[str, BoolArray] = {}
        self._acting: set[str] = set()
        """Rules that acted on some chair at their last ``edge``."""
        self._last_event_s: dict[str, FloatArray] = {}

    def resting(self, rules: frozenset[str]) -> bool:
        """None of ``rules`` acted on any chair at its last ``edge``: a family whose rules act
        nowhere this tick either may skip their edges, which would change nothing."""
        return self._acting.isdisjoint(rules)

    def latch(self, chair: int, rule: str, now_s: float, value: float, limit: float) -> None:
        """Latch one chair by ``rule`` unless it is latched already.

        A chair latched already (by a stop, say) keeps its first reason, but a later rule that
        must open the supply relay still does: a heater relay that welds after the person pressed
        stop is the same danger as one that welds during a program."""
        spec = RULES_BY_NAME[rule]
        cut = spec.supply_cut_s
        if self.latched_rule[chair] is None:
            self.latched_rule[chair] = rule
            self.latched[chair] = True
            self.latched_at_s[chair] = now_s
            self.supply_cut_s[chair] = np.inf if cut is None else cut
            self.events.append(SafetyEvent(now_s, chair, rule, value, limit, spec.reaction))
            return
        if cut is None:
            return
        due = now_s - float(self.latched_at_s[chair]) + cut
        if due < self.supply_cut_s[chair]:
            self.supply_cut_s[chair] = due
            self.events.append(SafetyEvent(now_s, chair, rule, value, limit, spec.reaction))

    def unlatch(self, chair: int) -> None:
        self.latched_rule[chair] = None
        self.latched[chair] = False
        self.latched_at_s[chair] = np.nan
        self.supply_cut_s[chair] = np.inf

    def edge(
        self,
        rule: str,
        active_any: BoolArray | np.bool_ | bool,
        now_s: float,
        value: Value,
        limit: FloatArray | float,
    ) -> None:
        """Record an event for each chair where ``rule`` has just become active; latch it if the
        rule latches.

        ``value`` may be a function: what was seen is then only worked out when an event is
        recorded, which is rare, instead of on every tick."""
        active = np.asarray(active_any, dtype=bool)
        if active.shape != (self.batch_size,):
            active = np.broadcast_to(active, (self.batch_size,))
        previous = self._active.get(rule)
        self._active[rule] = active
        if not active.any():
            self._acting.discard(rule)
            return
        self._acting.add(rule)
        new = active if previous is None else active & ~previous
        # A rule that flickers (a clamp at a region boundary) is one intervention, not hundreds:
        # a new event only after EVENT_HOLDOFF_S without that rule acting on that chair. Every
        # acting tick counts, whatever the other chairs of the batch do.
        last = self._last_event_s.setdefault(rule, np.full(self.batch_size, -np.inf))
        quiet = (now_s - last) >= EVENT_HOLDOFF_S
        last[active] = now_s
        if not new.any():
            return
        spec = RULES_BY_NAME[rule]
        if not spec.latching:
            new = new & quiet
            if not new.any():
                return
        if callable(value):
            value = value()
        values = np.broadcast_to(np.asarray(value, dtype=np.float64), (self.batch_size,))
        limits = np.broadcast_to(np.asarray(limit, dtype=np.float64), (self.batch_size,))
        for i in np.flatnonzero(new):
            chair = int(i)
            if spec.latching:
                self.latch(chair, rule, now_s, float(values[chair]), float(limits[chair]))
                continue
            self.events.append(
                SafetyEvent(
                    now_s, chair, rule, float(values[chair]), float(limits[chair]), spec.reaction
                )
            )
