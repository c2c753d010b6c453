"""Bodies of a whole batch as arrays: what the twin presses rollers into every tick.

Profiles are sampled on the track grid (``GRID_Y_MM``), so looking up a value at each chair's
carriage position is one vectorised interpolation, with no Python loop over chairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openchair.body import anthropometry as anthro
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import Body, BodyParams, make_body
from openchair.body.track import GRID_Y_MM, flat_index, grid_position, sample_linear

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class BodyBatch:
    """N bodies. Every array has the batch dimension first; ``G`` is the track grid."""

    bodies: tuple[Body, ...]
    grid_y_mm: FloatArray  # (G,)
    landmarks_y_mm: FloatArray  # (N, L)
    back_gap_mm: FloatArray  # (N, G)
    stiffness_scale: FloatArray  # (N, G, 2): F_ref of the tissue law, left and right
    pain_threshold_paraspinal_n: FloatArray  # (N, G)
    pain_threshold_spine_n: FloatArray  # (N, G)

    @classmethod
    def from_bodies(cls, bodies: Sequence[Body]) -> BodyBatch:
        if not bodies:
            raise ValueError("a body batch needs at least one body")
        from openchair.body.landmarks import LANDMARKS

        return cls(
            bodies=tuple(bodies),
            grid_y_mm=GRID_Y_MM.copy(),
            landmarks_y_mm=np.array([[b.landmarks_y_mm[n] for n in LANDMARKS] for b in bodies]),
            back_gap_mm=np.stack([b.back_gap_mm for b in bodies]),
            stiffness_scale=np.stack([b.stiffness_scale for b in bodies]),
            pain_threshold_paraspinal_n=np.stack([b.pain_threshold_paraspinal_n for b in bodies]),
            pain_threshold_spine_n=np.stack([b.pain_threshold_spine_n for b in bodies]),
        )

    @classmethod
    def from_params(cls, params: Sequence[BodyParams]) -> BodyBatch:
        return cls.from_bodies([make_body(p) for p in params])

    @property
    def batch_size(self) -> int:
        return len(self.bodies)

    @property
    def params(self) -> tuple[BodyParams, ...]:
        return tuple(b.params for b in self.bodies)

    def select(self, chairs: IntArray | slice) -> BodyBatch:
        index = np.arange(self.batch_size)[chairs]
        return BodyBatch.from_bodies([self.bodies[int(i)] for i in np.atleast_1d(index)])

    def at(self, field: FloatArray, y_mm: FloatArray) -> FloatArray:
        """``field`` (N, G) sampled at each body's own ``y_mm`` (N,), linearly interpolated."""
        return sample_linear(field, y_mm)

    def roller_force_n(
        self, y_mm: FloatArray, protrusion_mm: FloatArray, side: int | None = None
    ) -> FloatArray:
        """Static force of a roller (0 left, 1 right) protruding ``protrusion_mm`` at ``y_mm``.

        Zero until the roller reaches the skin (the back gap), then the tissue law
        ``F = F_ref · (exp(c / c_e) − 1)``: the stiffness rises with compression ``c``.
        ``side=None`` gives both rollers as (N, 2) from one lookup of the profiles, which the
        twin does every tick; ``protrusion_mm`` is then (N,) for both or (N, 2), one per roller.
        The numbers are the same as two calls with ``side`` 0 and 1.
        """
        i0, frac = grid_position(y_mm)
        lo = flat_index(self.back_gap_mm, i0)
        hi = lo + 1
        gaps = self.back_gap_mm.reshape(-1)
        gap = gaps.take(lo) * (1 - frac) + gaps.take(hi) * frac
        n, g = self.back_gap_mm.shape
        refs = self.stiffness_scale.reshape(n * g, 2)
        if side is None:
            ref = (
                refs.take(lo, axis=0) * (1 - frac)[:, None] + refs.take(hi, axis=0) * frac[:, None]
            )
            protrusion = protrusion_mm if protrusion_mm.ndim == 2 else protrusion_mm[:, None]
            compression = np.maximum(protrusion - gap[:, None], 0.0)
        else:
            column = refs[:, side]
            ref = column.take(lo) * (1 - frac) + column.take(hi) * frac
            compression = np.maximum(protrusion_mm - gap, 0.0)
        return tissue_force_n(ref, compression)

    def true_maps(self) -> BodyMapBatch:
        """The bodies' truth as body maps: what a perfect scan would find."""
        return BodyMapBatch.from_maps([b.to_map() for b in self.bodies])


def tissue_force_n(ref_n: FloatArray, compression_mm: FloatArray) -> FloatArray:
    """The tissue law: ``F = F_ref · (exp(c / c_e) − 1)`` for a compression ``c`` (mm, ≥ 0)
    of tissue whose reference force is ``F_ref``; the twin's rollers press by it every tick."""
    return np.asarray(
        ref_n * np.expm1(compression_mm / anthro.TISSUE_EXP_LENGTH_MM), dtype=np.float64
    )
