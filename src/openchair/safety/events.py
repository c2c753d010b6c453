"""Safety events and latches: what every rule family reports to, one log per supervisor.

A rule family calls :meth:`EventLog.edge` with the chairs where its rule acts this tick; the log
records an event where the rule has just begun acting and, for a latching rule (``rules.py``),
holds that chair in the safe state until ``reset``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


class EventLog:
    """The events of N chairs and which chairs are latched, by which rule."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.events: list[SafetyEvent] = []
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
        """Latch one chair by ``rule`` unless it is latched already."""
        if self.latched_rule[chair] is None:
            spec = RULES_BY_NAME[rule]
            self.latched_rule[chair] = rule
            self.latched[chair] = True
            self.latched_at_s[chair] = now_s
            cut = spec.supply_cut_s
            self.supply_cut_s[chair] = np.inf if cut is None else cut
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
