"""Every program on one batch: a session whose groups of chairs run different programs.

Verification runs each program of the library on the same scanned bodies. Run one batch per
program, and the fixed cost of a batched tick (a few hundred numpy calls whatever the number of
chairs) is paid once per program; here it is paid once for all of them. The twin of a scanned
chunk is repeated once per program (group ``g`` holds rows ``g·N … (g+1)·N − 1``), the session
runs a :class:`~openchair.programs.mixed.CompiledMix`, and each chair gets exactly the frames,
the supervision and the physics it would get in a batch of its own program: every chair of every
group starts at the same chair time, and nothing in a tick depends on the other chairs.

A group whose chairs are all done leaves the batch (:meth:`MixedSession.drop`), so a 7-minute
program does not keep costing while a 20-minute one runs; should the twin or the supervisor ever
hold state that cannot be re-batched, its chairs stay in the batch, resting (slower, the same
results).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openchair.body.bodymap import BodyMapBatch
from openchair.control.record import Accumulator
from openchair.control.session import Session, State
from openchair.hardware.twin import TwinChair
from openchair.programs.compiler import CompiledProgram
from openchair.programs.mixed import CompiledMix
from openchair.programs.model import Program
from openchair.safety.driver import SupervisedDriver
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.safety.supervisor import SafetySupervisor
from openchair.verify.rebatch import RebatchError, rebatch

IntArray = npt.NDArray[np.int64]
RowArray = npt.NDArray[np.intp]


def take_maps(maps: BodyMapBatch, rows: RowArray) -> BodyMapBatch:
    """The body maps of chairs ``rows`` (which may repeat a chair)."""
    n = maps.batch_size

    def take(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return a[rows] if a.ndim and a.shape[0] == n else a

    return BodyMapBatch(
        take(maps.landmarks_y_mm),
        take(maps.comfortable_depth_mm),
        take(maps.comfort_force_n),
        take(maps.tight_spots_y_mm),
        take(maps.contact_depth_mm),
    )


def repeat_twin(twin: TwinChair, times: int) -> TwinChair:
    """``times`` copies of the twin's chairs, in their state, one after the other in one twin.

    Raises :class:`RebatchError` when the twin's state cannot be repeated."""
    if times == 1:
        return copy.deepcopy(twin)
    rows = np.tile(np.arange(twin.batch_size, dtype=np.intp), times)
    fresh = TwinChair(twin.bodies.select(rows), description=twin.description)
    return rebatch(twin, fresh, rows, twin.batch_size)


class MixedSession(Session):
    """Group ``g`` of the batch runs ``programs[g]`` on the bodies of ``maps``. See the module
    docstring. ``twin`` holds ``len(programs)`` copies of those bodies (:func:`repeat_twin`)."""

    def __init__(
        self,
        programs: Sequence[Program],
        maps: BodyMapBatch,
        twin: TwinChair,
        *,
        intensity: int = 3,
        tick_s: float = 0.01,
        limits: SafetyLimits = DEFAULT_LIMITS,
        start_s: float = 0.0,
        compiler: type[CompiledProgram] = CompiledProgram,
    ) -> None:
        if not programs:
            raise ValueError("a mixed session needs at least one program")
        n = maps.batch_size
        if twin.batch_size != n * len(programs):
            raise ValueError(f"twin holds {twin.batch_size} chairs, not {len(programs)} × {n}")
        self.programs = list(programs)
        self.group_maps = maps
        self.twin = twin
        self.groups = list(range(len(programs)))
        """The groups still in the batch, in the order of their rows."""
        rows = np.tile(np.arange(n, dtype=np.intp), len(programs))
        super().__init__(
            programs[0],
            take_maps(maps, rows),
            twin,
            intensity=intensity,
            tick_s=tick_s,
            limits=limits,
            start_s=start_s,
            compiler=compiler,
        )
        self.event_counts = np.zeros(self.batch_size, dtype=np.int64)
        """Per chair, the safety events so far (up to the last :meth:`count_events`)."""
        self._counted = self._events_from

    @property
    def mix(self) -> CompiledMix:
        assert isinstance(self.compiled, CompiledMix)
        return self.compiled

    def _compile(self) -> CompiledProgram:
        n = self.group_maps.batch_size
        return CompiledMix(
            [
                self._compiler(
                    self.programs[g],
                    self.group_maps,
                    self.description,
                    intensity=self.intensity,
                    tick_s=self.tick_s,
                    limits=self.limits,
                    start_y_mm=self._start_y_mm[j * n : (j + 1) * n],
                )
                for j, g in enumerate(self.groups)
            ]
        )

    def rows(self, position: int) -> slice:
        """The rows of the ``position``-th group still in the batch."""
        return self.mix.group_rows(position)

    def over(self, position: int) -> bool:
        """Every chair of that group is done (its own batch would have ended here)."""
        return bool(np.all(self.state[self.rows(position)] >= State.DONE))

    def count_events(self) -> None:
        """Add the safety events recorded since the last count to ``event_counts``."""
        events = self.driver.supervisor.events
        chairs = [e.chair for e in events[self._counted :]]
        if chairs:
            self.event_counts += np.bincount(chairs, minlength=self.batch_size)
        self._counted = len(events)

    def drop(self, positions: Sequence[int]) -> bool:
        """Let the groups at ``positions`` (all done) leave the batch; False if the twin or the
        supervisor cannot be re-batched (the groups then stay, resting)."""
        gone = set(positions)
        keep_pos = [j for j in range(len(self.groups)) if j not in gone]
        if not gone or not keep_pos:
            return False
        self.count_events()
        keep = np.concatenate(
            [np.arange(self.rows(j).start, self.rows(j).stop, dtype=np.intp) for j in keep_pos]
        )
        n = self.batch_size
        maps = take_maps(self.maps, keep)
        d = self.description
        sup = self.driver.supervisor
        try:
            twin = rebatch(
                self.twin, TwinChair(self.twin.bodies.select(keep), description=d), keep, n
            )
            fresh = SafetySupervisor(d, maps, self.limits, session_start_s=self.start_s)
            supervisor = rebatch(sup, fresh, keep, n)
            acc = rebatch(self._acc, Accumulator(maps, self.tick_s), keep, n)
        except RebatchError as why:
            self.rebatch_refused = str(why)
            return False
        self.twin = twin
        self.driver = SupervisedDriver(twin, supervisor)
        self.maps = maps
        self._acc = acc
        self.compiled = self.mix.without(sorted(gone))
        self.groups = [self.groups[j] for j in keep_pos]
        self.batch_size = int(keep.size)
        self.state = self.state[keep]
        self.end_s = self.end_s[keep]
        self.reason = [self.reason[int(i)] for i in keep]
        self._finish_start = self._finish_start[keep]
        self._start_y_mm = self._start_y_mm[keep]
        self.event_counts = self.event_counts[keep]
        self.last_readings = self.last_frame = self.last_setpoints = None
        return True
