"""Several programs on one batch of chairs: each group of chairs runs its own compiled program.

Verification runs every program of the library on the same bodies. A batched tick has a fixed
cost whatever the number of chairs (a few hundred numpy calls in the twin, the supervisor and the
checks), so seven programs run as seven batches pay it seven times. :class:`CompiledMix` puts
them in one batch: the chairs of group ``g`` are the rows ``starts[g]:starts[g + 1]``, and each
group's frame is exactly what its own :class:`CompiledProgram` gives at that tick (the step index
is per group, so per chair), concatenated. The fields that stay the same for a whole step are
concatenated again only when some group's step changes.

Every group starts at the same program tick, so a chair's frames are the frames it would get in a
batch of its own program: a group whose program has run out keeps getting its last frame (as a
session of that program alone would), and the session finishes it per chair (``end_ticks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from openchair.hardware.contract import Commands
from openchair.programs.compiler import CompiledProgram

IntArray = npt.NDArray[np.int64]
_FIELDS = tuple(f.name for f in fields(Commands) if f.name != "supply_off")
"""A program never opens the supply relay: ``Commands`` fills that field with False itself."""


class CompiledMix(CompiledProgram):
    """Compiled programs of several groups of chairs as one batch. See the module docstring.

    It answers what a session asks of a compiled program (``setpoints_at``, ``n_ticks``,
    ``end_ticks``, ``batch_size``); what only makes sense for one program (its steps, labels and
    maps) is asked of ``parts[g]``."""

    def __init__(self, parts: Sequence[CompiledProgram]) -> None:
        # The parts are compiled already: nothing of CompiledProgram's own compilation runs.
        if not parts:
            raise ValueError("a mix of programs needs at least one program")
        first = parts[0]
        if any(p.tick_s != first.tick_s or p.description != first.description for p in parts):
            raise ValueError("every program of a mix runs on the same chair at the same tick")
        self.parts = list(parts)
        self.program = first.program
        self.description = first.description
        self.tick_s = first.tick_s
        self.intensity = first.intensity
        sizes = [p.batch_size for p in self.parts]
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.batch_size = int(self.starts[-1])
        self.n_ticks = max(p.n_ticks for p in self.parts)
        self.duration_s = max(p.duration_s for p in self.parts)
        self.end_ticks = np.concatenate([p.end_ticks for p in self.parts])
        self.end_ticks.flags.writeable = False
        self._sources: dict[str, list[npt.NDArray[np.generic]]] = {}
        self._joined: dict[str, npt.NDArray[np.generic]] = {}

    def group_rows(self, group: int) -> slice:
        """The rows of ``group`` in the batch."""
        return slice(int(self.starts[group]), int(self.starts[group + 1]))

    def steps_at(self, tick: int) -> list[int]:
        """Per group, the index into that group's ``flat`` of the step that runs at ``tick``."""
        return [p.step_at(min(tick, p.n_ticks - 1)) for p in self.parts]

    def step_at(self, tick: int) -> int:
        """The first group's step (a mix has one step per group: see :meth:`steps_at`)."""
        return self.parts[0].step_at(tick)

    def step_label(self, index: int) -> str:
        return self.parts[0].step_label(index)

    def without(self, groups: Sequence[int]) -> CompiledMix:
        """The same mix without ``groups`` (their chairs left the batch)."""
        gone = set(groups)
        return CompiledMix([p for g, p in enumerate(self.parts) if g not in gone])

    def setpoints_at(self, tick: int) -> Commands:
        """Every group's frame at ``tick`` (its last frame once its program has run out)."""
        if len(self.parts) == 1:
            return self.parts[0].setpoints_at(tick)
        frames = [p.setpoints_at(min(tick, p.n_ticks - 1)) for p in self.parts]
        out: dict[str, Any] = {}
        for name in _FIELDS:
            arrays = [getattr(f, name) for f in frames]
            # A step's unchanging fields are the same read-only arrays every tick: join them
            # once per change of any group's step, not every tick.
            last = self._sources.get(name)
            if last is not None and all(a is b for a, b in zip(arrays, last, strict=True)):
                out[name] = self._joined[name]
                continue
            joined = np.concatenate(arrays)
            if arrays[0].ndim > 1 and all(a.flags.f_contiguous for a in arrays):
                joined = np.asfortranarray(joined)
            if not any(a.flags.writeable for a in arrays):
                joined.flags.writeable = False
                self._sources[name] = arrays
                self._joined[name] = joined
            out[name] = joined
        return Commands(**out)
