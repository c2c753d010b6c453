"""The per-tick checks: every tick of every body, against the twin's truth, without a chair loop.

:class:`TickMonitor` is fed after each control tick with what the program asked for (setpoints,
before the supervisor) and the twin's hidden truth (true forces, positions, pressures,
temperatures). It keeps running worst margins per body and what the promises need (time per zone,
deepest working moment, cushion and heat time), plus where along the back the rollers worked.
Only the verifier reads the truth; the controller never does.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.track import flat_index, grid_cell
from openchair.control.session import State
from openchair.hardware.contract import ChairDescription, Commands
from openchair.hardware.twin.chair import TwinTruth
from openchair.programs.compiler import CompiledProgram, zone_bounds_mm
from openchair.verify.rules import VerifyCriteria

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BACK_BINS = 20
"""The back from the seat crease to C7 in 20 equal parts of each person's own back length: the
coverage of the paraspinal lines and the report's heat map are counted in these."""
COVERED_S = 1.0
WORKING_DEPTH_MM = 1.0
"""Rollers out past this count as working a zone (as in the session record), touching or not:
a light program's rollers may only brush a deep lumbar hollow."""
"""A part of the back counts as covered once the rollers worked it this long."""


@dataclass(frozen=True)
class StepFacts:
    """Per flattened step, what the promises need: its zone column (-1 without roller work),
    whether it plans air, and which heaters it plans."""

    zone: IntArray  # (S,)
    air: npt.NDArray[np.bool_]  # (S,)
    heat: npt.NDArray[np.bool_]  # (S, H)


@dataclass(frozen=True)
class _GroupPlan:
    """One program's promises: its steps' facts, its zones' columns, its planned time."""

    steps: StepFacts
    columns: list[int]
    planned_zone_ticks: IntArray  # per column of ``columns``
    planned_air_ticks: int
    planned_heat_ticks: IntArray  # (H,)


@dataclass(frozen=True)
class _StepNow:
    """Per chair of several groups, what the step each group runs now plans."""

    zone_cells: npt.NDArray[np.intp]  # flat index into zone_ticks (any column without a zone)
    zone_lo: FloatArray  # NaN without a zone: never inside
    zone_hi: FloatArray
    zone_any: bool
    air: npt.NDArray[np.bool_]
    air_any: bool
    heat: npt.NDArray[np.bool_]  # (N, H)
    heat_any: npt.NDArray[np.bool_]  # (H,)


_PER_CHAIR = (
    "_pain_cells",
    "_depth_cells",
    "_c7",
    "_body_lo",
    "_body_hi",
    "_back_len",
    "pain_margin_n",
    "pain_worst_s",
    "peak_force_n",
    "peak_ratio",
    "threshold_at_peak_n",
    "depth_margin_mm",
    "depth_worst_s",
    "neck_margin_n",
    "track_margin_mm",
    "max_pressure_kpa",
    "max_temp_c",
    "deepest_asked_mm",
    "deepest_true_mm",
    "zone_ticks",
    "air_ticks",
    "warm_ticks",
    "back_ticks",
)


class TickMonitor:
    """Running margins of one program run on N bodies, or of several programs on the same N
    bodies as one batch (group ``g``, rows ``g·N … (g+1)·N − 1``, runs ``compiled.parts[g]``).
    See the module docstring; :meth:`group` gives one group's monitor for its results."""

    def __init__(
        self,
        bodies: BodyBatch,
        compiled: CompiledProgram,
        description: ChairDescription,
        criteria: VerifyCriteria,
    ) -> None:
        parts: list[CompiledProgram] = list(getattr(compiled, "parts", [compiled]))
        groups = len(parts)
        nb = bodies.batch_size
        n = nb * groups
        self.n = n
        self.group_size = nb
        self.tick_s = compiled.tick_s
        self.criteria = criteria
        self.description = description
        truth: BodyMapBatch = bodies.true_maps()

        def rows(a: FloatArray) -> FloatArray:
            """Per body → per chair (the bodies repeated once per group)."""
            return a if groups == 1 else np.tile(a, (groups,) + (1,) * (a.ndim - 1))

        # Each rule reads the two grid points around the roller (the lower pain threshold, the
        # deeper comfortable depth), so the pairs are reduced here once: cell i holds points i
        # and i + 1, and each tick looks one value up per body.
        pain = bodies.pain_threshold_paraspinal_n
        self._pain_cells = rows(np.minimum(pain[:, :-1], pain[:, 1:]))
        # The comfortable depth the session works with (from the scan): the depth rule of
        # docs/SAFETY.md. Whether that depth is kind to the person's true body is judged by force,
        # against the true pain threshold, since force is what hurts. At a region boundary the
        # deeper of the two neighbouring regions counts: the scan places boundaries within
        # millimetres, and the force rules judge the boundary itself.
        depth = parts[0].maps.along_track(parts[0].maps.comfortable_depth_mm)
        self._depth_cells = rows(np.maximum(depth[:, :-1], depth[:, 1:]))
        self._c7 = rows(truth.landmark_y_mm("C7"))
        self._body_lo = rows(truth.region_bounds_mm("thighs")[0])
        self._body_hi = rows(truth.region_bounds_mm("neck")[1])
        self._back_len = np.maximum(self._c7, 1.0)
        # Promise bookkeeping, from each program as written: zone columns are shared by every
        # group (a zone two programs work is one column), each group keeps its own plan.
        self.zone_names: list[str] = []
        heaters = description.heaters
        self._plans = [self._plan(part, heaters) for part in parts]
        margin = criteria.zone_margin_mm
        bounds = [zone_bounds_mm(z, truth) for z in self.zone_names]
        self._zone_lo = [rows(lo - margin) for lo, _ in bounds]
        self._zone_hi = [rows(hi + margin) for _, hi in bounds]
        self.groups = list(range(groups))
        """The groups still observed, in the order of their rows."""
        self._now: tuple[tuple[int, ...], _StepNow] | None = None
        # Running worst values.
        inf = np.full(n, np.inf)
        self.pain_margin_n = inf.copy()
        self.pain_worst_s = np.zeros(n)
        self.peak_force_n = np.zeros(n)
        self.peak_ratio = np.zeros(n)
        """Largest force / pain threshold at the same tick."""
        self.threshold_at_peak_n = np.zeros(n)
        self.depth_margin_mm = inf.copy()
        self.depth_worst_s = np.zeros(n)
        self.neck_margin_n = inf.copy()
        self.track_margin_mm = inf.copy()
        self.max_pressure_kpa = np.zeros(n)
        self.max_temp_c = np.full(n, -np.inf)
        self.deepest_asked_mm = np.zeros(n)
        self.deepest_true_mm = np.zeros(n)
        self.zone_ticks = np.zeros((n, len(self.zone_names)), dtype=np.int64)
        self.air_ticks = np.zeros(n, dtype=np.int64)
        self.warm_ticks = np.zeros((n, len(heaters)), dtype=np.int64)
        self.back_ticks = np.zeros((n, BACK_BINS), dtype=np.int64)
        self._back_row_starts = np.arange(n, dtype=np.intp) * BACK_BINS
        self.ticks = 0
        first = self._plans[0]
        self.steps = first.steps
        self.planned_zone_ticks = first.planned_zone_ticks
        self.planned_air_ticks = first.planned_air_ticks
        self.planned_heat_ticks = first.planned_heat_ticks

    def _plan(self, compiled: CompiledProgram, heaters: Sequence[str]) -> _GroupPlan:
        zone_col: list[int] = []
        for flat in compiled.flat:
            s = flat.step
            if s.technique == "none":
                zone_col.append(-1)
                continue
            if s.zone not in self.zone_names:
                self.zone_names.append(s.zone)
            zone_col.append(self.zone_names.index(s.zone))
        steps = StepFacts(
            zone=np.array(zone_col, dtype=np.int64),
            air=np.array([f.step.air is not None for f in compiled.flat], dtype=bool),
            heat=np.array(
                [
                    [
                        f.step.heat is not None and getattr(f.step.heat, h, None) is not None
                        for h in heaters
                    ]
                    for f in compiled.flat
                ],
                dtype=bool,
            ).reshape(len(compiled.flat), len(heaters)),
        )
        ticks = np.array([round(f.seconds / compiled.tick_s) for f in compiled.flat])
        columns = sorted({int(z) for z in steps.zone if z >= 0})
        return _GroupPlan(
            steps=steps,
            columns=columns,
            planned_zone_ticks=np.array(
                [ticks[steps.zone == j].sum() for j in columns], dtype=np.int64
            ),
            planned_air_ticks=int(ticks[steps.air].sum()),
            planned_heat_ticks=(ticks[:, None] * steps.heat).sum(axis=0).astype(np.int64),
        )

    def observe(
        self,
        setpoints: Commands,
        truth: TwinTruth,
        state: IntArray,
        step_index: int | Sequence[int],
        now_s: float,
    ) -> None:
        """One tick: ``setpoints`` as the program asked, ``truth`` after the twin moved;
        ``step_index``: the step that ran (per group still observed, for several programs)."""
        c = self.criteria
        self.ticks += 1
        y = truth.carriage_y_mm
        force = np.maximum(truth.force_left_n, truth.force_right_n)
        cell = self._cell(y)
        pain = self._pain_cells.take(cell)
        comfortable = self._depth_cells.take(cell)
        # Force against the person's pain threshold where the roller is.
        margin = pain - force
        worse = margin < self.pain_margin_n
        if worse.any():
            self.pain_margin_n = np.where(worse, margin, self.pain_margin_n)
            self.pain_worst_s = np.where(worse, now_s, self.pain_worst_s)
        ratio = force / pain
        peak = ratio > self.peak_ratio
        if peak.any():
            self.peak_ratio = np.where(peak, ratio, self.peak_ratio)
            self.threshold_at_peak_n = np.where(peak, pain, self.threshold_at_peak_n)
        np.maximum(self.peak_force_n, force, out=self.peak_force_n)
        # Depth: what the program asked (where it asked) and what the rollers did (where they are).
        asked_ok = self._depth_cells.take(self._cell(setpoints.carriage_y_target_mm))
        pressing = force >= c.contact_force_n
        dmargin = np.minimum(
            asked_ok - setpoints.depth_target_mm,
            np.where(pressing, comfortable - truth.depth_mm, np.inf),
        )
        worse = dmargin < self.depth_margin_mm
        if worse.any():
            self.depth_margin_mm = np.where(worse, dmargin, self.depth_margin_mm)
            self.depth_worst_s = np.where(worse, now_s, self.depth_worst_s)
        # Light work above C7.
        above = y > self._c7
        if above.any():
            np.minimum(
                self.neck_margin_n,
                np.where(above, c.neck_force_max_n - force, np.inf),
                out=self.neck_margin_n,
            )
        # On the track, and pressing rollers on the body.
        d = self.description
        track = np.minimum(y - d.carriage_y_min_mm, d.carriage_y_max_mm - y)
        on_body = np.minimum(y - self._body_lo, self._body_hi - y)
        np.minimum(
            self.track_margin_mm,
            np.where(pressing, np.minimum(track, on_body), track),
            out=self.track_margin_mm,
        )
        pressure = truth.air_pressure_kpa.max(axis=1)
        np.maximum(self.max_pressure_kpa, pressure, out=self.max_pressure_kpa)
        np.maximum(self.max_temp_c, truth.heater_temp_c.max(axis=1), out=self.max_temp_c)
        # Promises: only while the program itself runs (not while finishing or after a fault).
        running = state == int(State.RUNNING)
        working = pressing & running
        np.maximum(
            self.deepest_asked_mm,
            np.where(running, setpoints.depth_target_mm, 0.0),
            out=self.deepest_asked_mm,
        )
        np.maximum(
            self.deepest_true_mm, np.where(running, truth.depth_mm, 0.0), out=self.deepest_true_mm
        )
        rollers_out = running & (truth.depth_mm > WORKING_DEPTH_MM)
        on_back = working & (y >= 0.0) & (y <= self._c7)
        if on_back.any():
            part = (y / self._back_len * BACK_BINS).astype(np.intp)
            part = np.minimum(np.maximum(part, 0), BACK_BINS - 1)
            self.back_ticks.reshape(-1)[self._back_row_starts + part] += on_back
        steps = (step_index,) if isinstance(step_index, (int, np.integer)) else tuple(step_index)
        if len(self.groups) == 1:
            plan = self._plans[self.groups[0]]
            step = int(steps[0])
            zone = int(plan.steps.zone[step])
            if zone >= 0:
                inside = rollers_out & (y >= self._zone_lo[zone]) & (y <= self._zone_hi[zone])
                self.zone_ticks[:, zone] += inside
            if plan.steps.air[step]:
                self.air_ticks += running & (pressure >= c.cushion_in_use_kpa)
            heat = plan.steps.heat[step]
        else:
            now = self._step_now(steps)
            if now.zone_any:
                inside = rollers_out & (y >= now.zone_lo) & (y <= now.zone_hi)
                self.zone_ticks.reshape(-1)[now.zone_cells] += inside
            if now.air_any:
                self.air_ticks += running & now.air & (pressure >= c.cushion_in_use_kpa)
            heat = now.heat_any
        # Heater by heater: the twin's temperatures are column-major, the counts row-major, and
        # mixing the two layouts in one (N, H) expression costs several times more.
        for h in np.flatnonzero(heat):
            warm = running & (truth.heater_temp_c[:, h] >= c.heat_warm_c)
            if len(self.groups) > 1:
                warm &= self._step_now(steps).heat[:, h]
            self.warm_ticks[:, h] += warm

    def _step_now(self, steps: tuple[int, ...]) -> _StepNow:
        """Per chair, what the step of its group plans (built again when a step changes)."""
        if self._now is not None and self._now[0] == steps:
            return self._now[1]
        nb, zones = self.group_size, len(self.zone_names)
        n = nb * len(self.groups)
        col = np.zeros(n, dtype=np.intp)
        lo = np.full(n, np.nan)
        hi = np.full(n, np.nan)
        air = np.zeros(n, dtype=bool)
        heat = np.zeros((n, len(self.description.heaters)), dtype=bool)
        for j, (g, step) in enumerate(zip(self.groups, steps, strict=True)):
            rows = slice(j * nb, (j + 1) * nb)
            facts = self._plans[g].steps
            zone = int(facts.zone[step])
            if zone >= 0:
                col[rows] = zone
                lo[rows] = self._zone_lo[zone][rows]
                hi[rows] = self._zone_hi[zone][rows]
            air[rows] = facts.air[step]
            heat[rows] = facts.heat[step]
        now = _StepNow(
            zone_cells=np.arange(n, dtype=np.intp) * max(zones, 1) + col,
            zone_lo=lo,
            zone_hi=hi,
            zone_any=bool(np.isfinite(lo).any()),
            air=air,
            air_any=bool(air.any()),
            heat=heat,
            heat_any=np.asarray(heat.any(axis=0)),
        )
        self._now = (steps, now)
        return now

    def keep(self, positions: Sequence[int]) -> None:
        """Only the groups at ``positions`` (in row order) stay observed: the others' chairs
        left the batch."""
        nb = self.group_size
        rows = np.concatenate([np.arange(j * nb, (j + 1) * nb, dtype=np.intp) for j in positions])
        self._take(rows)
        self.groups = [self.groups[j] for j in positions]
        self._now = None

    def group(self, position: int) -> TickMonitor:
        """The monitor of the group at ``position`` alone (copies), for its results."""
        nb = self.group_size
        g = self.groups[position]
        out = copy.copy(self)
        out._take(np.arange(position * nb, (position + 1) * nb, dtype=np.intp))
        plan = self._plans[g]
        out.zone_names = [self.zone_names[j] for j in plan.columns]
        out.zone_ticks = out.zone_ticks[:, plan.columns]
        out.steps = plan.steps
        out.planned_zone_ticks = plan.planned_zone_ticks
        out.planned_air_ticks = plan.planned_air_ticks
        out.planned_heat_ticks = plan.planned_heat_ticks
        out.groups = [g]
        return out

    def _take(self, rows: npt.NDArray[np.intp]) -> None:
        for name in _PER_CHAIR:
            setattr(self, name, getattr(self, name)[rows])
        self._zone_lo = [a[rows] for a in self._zone_lo]
        self._zone_hi = [a[rows] for a in self._zone_hi]
        self.n = int(rows.size)
        self._back_row_starts = np.arange(self.n, dtype=np.intp) * BACK_BINS

    def _cell(self, y_mm: FloatArray) -> npt.NDArray[np.intp]:
        """Each body's grid cell at ``y_mm``, as a flat index into the (N, G - 1) cell tables."""
        return flat_index(self._depth_cells, grid_cell(y_mm))

    # -- results --------------------------------------------------------------------------------

    def zone_share(self) -> FloatArray:
        """(N,) the least-kept zone's share of its planned time (1.0 without roller zones)."""
        if not self.zone_names:
            return np.ones(self.n)
        share = self.zone_ticks / np.maximum(self.planned_zone_ticks, 1)[None, :]
        return np.asarray(share.min(axis=1), dtype=np.float64)

    def depth_share(self) -> FloatArray:
        """(N,) the rollers' deepest true depth as a share of the deepest depth the program asked
        for this person (1.0 for a program that never asks for depth)."""
        asked = self.deepest_asked_mm
        share = self.deepest_true_mm / np.maximum(asked, 1e-9)
        return np.asarray(np.where(asked > WORKING_DEPTH_MM, np.minimum(share, 1.0), 1.0))

    def cushion_share(self) -> FloatArray:
        if self.planned_air_ticks == 0:
            return np.ones(self.n)
        return np.asarray(self.air_ticks / self.planned_air_ticks, dtype=np.float64)

    def heat_share(self) -> FloatArray:
        """(N,) the least-kept heater's warm share of its planned time after the warm-up."""
        warm_up = round(self.criteria.heat_warm_up_s / self.tick_s)
        planned = self.planned_heat_ticks - warm_up
        used = planned > 0
        if not used.any():
            return np.ones(self.n)
        share = self.warm_ticks[:, used] / planned[used][None, :]
        return np.asarray(np.minimum(share.min(axis=1), 1.0), dtype=np.float64)

    def coverage(self) -> FloatArray:
        """(N,) share of the back (seat crease to C7) the rollers worked at least COVERED_S."""
        covered = self.back_ticks * self.tick_s >= COVERED_S
        return np.asarray(covered.mean(axis=1), dtype=np.float64)
