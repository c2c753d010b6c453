"""The service guard: the hard limits alone, for the self-test.

The self-test exists to see faults that the supervisor would latch on at once (a glitching encoder,
a stuck heater sensor, a board that loses frames), and a technician may run it on an empty chair.
So it does not run under the full supervisor, but its frames still never reach a driver unchecked:
this guard keeps every physical limit of ``limits.py`` that does not depend on knowing the person
(force, depth, heat, air, chair ranges), the stop button, and cuts the supply of a depth motor
that drives the rollers deeper than commanded (the safe state alone would not stop it).

A reading that is not a number (a broken sensor, a garbled link) cannot be compared with a limit:
the guard takes it as the worst case. A force it cannot read retracts the rollers, a temperature
switches its heater off, a pressure vents the air; a position it cannot read (carriage, depth,
recline) stops the chair, held where it was last seen.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from openchair.hardware.contract import (
    ChairDescription,
    ChairDriver,
    Commands,
    Readings,
)
from openchair.safety.limits import (
    DEFAULT_LIMITS,
    DEPTH_RUNAWAY_MARGIN_MM,
    FORCE_BACKOFF_MM,
    SafetyLimits,
)
from openchair.safety.readings import HELD_FIELDS
from openchair.safety.supervisor import clamp_to_chair


class ServiceGuard:
    """Wraps a driver; every frame written through it is held to the hard limits."""

    def __init__(self, driver: ChairDriver, limits: SafetyLimits = DEFAULT_LIMITS) -> None:
        self._driver = driver
        self.limits = limits
        self.stopped = np.zeros(driver.batch_size, dtype=bool)
        self._last: Readings | None = None
        self.runaway = np.zeros(driver.batch_size, dtype=bool)
        """Chairs whose depth motor did not follow its depth: stopped with the supply cut."""
        self._sent_depth = np.zeros(driver.batch_size)
        self._runaway_from = np.full(driver.batch_size, np.nan)
        self.unreadable = np.zeros(driver.batch_size, dtype=bool)
        """Chairs stopped because a position reading was not a number."""
        self._seen: Readings | None = None
        """The last finite positions of each chair, where the safe state holds it."""

    @property
    def description(self) -> ChairDescription:
        return self._driver.description

    @property
    def batch_size(self) -> int:
        return self._driver.batch_size

    def open(self) -> None:
        self._driver.open()

    def read(self, now_s: float) -> Readings:
        self._last = self._driver.read(now_s)
        self.stopped |= self._last.stop_button  # latched even if released before the next write
        return self._last

    def write(self, commands: Commands, now_s: float) -> None:
        frame = self.guard(commands, self._last)
        self._sent_depth = frame.depth_target_mm.copy()
        self._driver.write(frame, now_s)

    def close(self) -> None:
        self._driver.close()

    def guard(self, commands: Commands, r: Readings | None) -> Commands:
        """The frame held to the hard limits, given the latest readings (if any)."""
        d, lim = self.description, self.limits
        out = commands.copy()
        clamp_to_chair(out, d)
        out.depth_target_mm = np.minimum(out.depth_target_mm, lim.roller_depth_hard_max_mm)
        out.heater_target_c = np.minimum(out.heater_target_c, lim.heater_target_max_c)
        out.air_pressure_target_kpa = np.minimum(
            out.air_pressure_target_kpa, lim.air_pressure_max_kpa
        )
        if r is None:
            return out
        held = self._held_positions(r)
        force = np.maximum(r.force_left_n, r.force_right_n)
        blind = ~(np.isfinite(r.force_left_n) & np.isfinite(r.force_right_n))
        over = (force > lim.roller_force_hard_max_n) | blind
        backed_off = np.maximum(held.depth_mm - FORCE_BACKOFF_MM, 0.0)
        out.depth_target_mm = np.where(
            over,
            np.minimum(out.depth_target_mm, np.where(blind, 0.0, backed_off)),
            out.depth_target_mm,
        )
        out.heater_target_c = np.where(
            (r.heater_temp_c >= lim.heater_surface_max_c) | ~np.isfinite(r.heater_temp_c),
            0.0,
            out.heater_target_c,
        )
        out.air_pressure_target_kpa = np.where(
            (r.air_pressure_kpa > lim.air_pressure_max_kpa) | ~np.isfinite(r.air_pressure_kpa),
            0.0,
            out.air_pressure_target_kpa,
        )
        # Rollers deeper than commanded that keep going deeper: the depth motor does not obey.
        beyond = r.depth_mm > self._sent_depth + DEPTH_RUNAWAY_MARGIN_MM
        self._runaway_from = np.where(
            beyond, np.where(np.isnan(self._runaway_from), r.depth_mm, self._runaway_from), np.nan
        )
        self.runaway |= beyond & (r.depth_mm - self._runaway_from > DEPTH_RUNAWAY_MARGIN_MM)
        self.stopped |= r.stop_button | self.runaway | self.unreadable
        if self.runaway.any():
            out.supply_off = out.supply_off | self.runaway
        if self.stopped.any():
            out.overlay(Commands.safe_holding(d, held), self.stopped)
        return out

    def _held_positions(self, r: Readings) -> Readings:
        """``r`` with every position that is not a number replaced by the chair's last finite
        one (the safe state holds the chair there; zero before any); such a chair is stopped.
        The positions are the supervisor's (``readings.HELD_FIELDS``)."""
        seen = self._seen if self._seen is not None else r
        held: dict[str, Any] = {}
        for name in HELD_FIELDS:
            now, last = getattr(r, name), getattr(seen, name)
            ok = np.isfinite(now)
            self.unreadable |= ~ok
            held[name] = np.where(ok, now, np.where(np.isfinite(last), last, 0.0))
        self._seen = dataclasses.replace(r, **held)
        return self._seen
