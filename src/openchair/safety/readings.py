"""The first rule of every tick: every reading is a number.

A serial board with a garbled value, a broken encoder or a driver's own arithmetic can hand over
a reading that is not a finite number (NaN, +inf, -inf). Every other rule compares readings with
limits, and a NaN compares false with everything: a broken force or temperature reading would
pass them unseen, and a carriage position that is not a number has no place on the body map's
grid. So before any other family looks, a chair with such a reading is latched in the safe state
(``reading_not_finite``), and the families see a screened copy of the readings in which each such
value is replaced: the carriage, depth and recline positions by that chair's last finite reading
(the safe state holds the chair there), every other value by 0. The other chairs of the batch
read exactly what their drivers said.

The common case (every value finite) is one compiled pass over the readings, which also keeps
each chair's last finite positions; only a tick with a bad value does more.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from openchair.compiled import kernel
from openchair.hardware.contract import ChairDescription, Readings
from openchair.safety.events import EventLog
from openchair.safety.rules import READING_NOT_FINITE

FloatArray = npt.NDArray[np.float64]

HELD_FIELDS: tuple[str, ...] = (
    "carriage_y_mm",
    "depth_mm",
    "backrest_angle_deg",
    "legrest_angle_deg",
)
"""Positions the safe state holds the chair at (or waits on): a bad one becomes the last good."""

OTHER_FIELDS: tuple[str, ...] = (
    "width_mm",
    "force_left_n",
    "force_right_n",
    "backrest_current_a",
    "legrest_current_a",
    "air_pressure_kpa",
    "heater_temp_c",
    "heater_current_a",
)
"""The other number fields of :class:`Readings` (a bad one becomes 0; the chair is latched)."""


class ReadingRules:
    """Owns each chair's last finite carriage, depth and recline readings."""

    def __init__(self, description: ChairDescription, log: EventLog) -> None:
        d = description
        self.log = log
        n = log.batch_size
        # Before any finite reading: the safe frame's own defaults, and the rollers taken to be
        # pressing (so a supply cut still waits for them to retract, as long as the rule allows).
        first = (
            min(max(0.0, d.carriage_y_min_mm), d.carriage_y_max_mm),
            d.depth_max_mm,
            d.backrest_angle_min_deg,
            d.legrest_angle_min_deg,
        )
        self._held: FloatArray = np.repeat(np.array(first, dtype=np.float64)[:, None], n, axis=1)

    def screen(self, r: Readings, now_s: float) -> Readings:
        """``r`` itself when every value is finite; otherwise latch the chairs with a bad value
        and return readings in which those values are replaced (see the module docstring)."""
        if math.isfinite(r.time_s) and _screen(
            _flat(r.carriage_y_mm),
            _flat(r.depth_mm),
            _flat(r.backrest_angle_deg),
            _flat(r.legrest_angle_deg),
            _flat(r.width_mm),
            _flat(r.force_left_n),
            _flat(r.force_right_n),
            _flat(r.backrest_current_a),
            _flat(r.legrest_current_a),
            _flat(r.air_pressure_kpa),
            _flat(r.heater_temp_c),
            _flat(r.heater_current_a),
            self._held,
        ):
            return r
        return self._react(r, now_s)

    def _react(self, r: Readings, now_s: float) -> Readings:
        n = self.log.batch_size
        bad_values = np.zeros(n, dtype=np.int64)
        replaced: dict[str, object] = {}
        for row, name in enumerate((*HELD_FIELDS, *OTHER_FIELDS)):
            values = np.asarray(getattr(r, name), dtype=np.float64)
            bad = ~np.isfinite(values)
            held = row < len(HELD_FIELDS)
            if held:
                self._held[row] = np.where(bad, self._held[row], values)
            if not bad.any():
                continue
            bad_values += bad.reshape(bad.shape[0], -1).sum(axis=1)
            replaced[name] = self._held[row].copy() if held else np.where(bad, 0.0, values)
        if not math.isfinite(r.time_s):
            # The time of the whole batch's readings: no chair's readings can be judged.
            bad_values += 1
            replaced["time_s"] = now_s
        for chair in np.flatnonzero(bad_values):
            self.log.latch(int(chair), READING_NOT_FINITE, now_s, float(bad_values[chair]), 0.0)
        return dataclasses.replace(r, **replaced)  # type: ignore[arg-type]


def _flat(values: FloatArray) -> FloatArray:
    """A 1-D view of a field (a copy only for a field laid out neither by rows nor columns), so
    that the kernel is compiled for one array type whatever layout a driver uses."""
    return np.ravel(values, order="K")


@kernel
def _finite(x: FloatArray) -> bool:
    """Every value is a finite number (``v - v`` is NaN for NaN and for ±inf). Counted without
    an early exit: a loop without branches runs on whole vectors of values at once."""
    finite = 0
    for k in range(x.shape[0]):
        v = x[k]
        finite += v - v == 0.0
    return bool(finite == x.shape[0])


@kernel
def _keep(x: FloatArray, held: FloatArray) -> bool:
    """Keep each chair's finite value in ``held``; whether every value was finite."""
    finite = 0
    for i in range(x.shape[0]):
        v = x[i]
        ok = v - v == 0.0
        held[i] = v if ok else held[i]
        finite += ok
    return bool(finite == x.shape[0])


@kernel
def _screen(
    carriage_y: FloatArray,
    depth: FloatArray,
    backrest_angle: FloatArray,
    legrest_angle: FloatArray,
    width: FloatArray,
    force_left: FloatArray,
    force_right: FloatArray,
    backrest_current: FloatArray,
    legrest_current: FloatArray,
    air_pressure: FloatArray,
    heater_temp: FloatArray,
    heater_current: FloatArray,
    held: FloatArray,
) -> bool:
    """Whether every reading is finite, keeping each chair's last finite positions in ``held``
    (rows in the order of ``HELD_FIELDS``; the arguments in the order of ``HELD_FIELDS`` and
    ``OTHER_FIELDS``)."""
    ok = _keep(carriage_y, held[0])
    ok = _keep(depth, held[1]) and ok
    ok = _keep(backrest_angle, held[2]) and ok
    ok = _keep(legrest_angle, held[3]) and ok
    return (
        ok
        and _finite(width)
        and _finite(force_left)
        and _finite(force_right)
        and _finite(backrest_current)
        and _finite(legrest_current)
        and _finite(air_pressure)
        and _finite(heater_temp)
        and _finite(heater_current)
    )
