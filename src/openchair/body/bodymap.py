"""The body map: what programs are fitted to.

A body map holds the landmarks, each region's comfortable roller depth and the tight spots of one
person. It comes from the body model (the twin's truth, for tests and for running without a scan)
or from the body scan (what a real chair knows). Programs compile against a :class:`BodyMapBatch`
so that one program fits every body of a batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from openchair.body.landmarks import LANDMARK_INDEX, LANDMARKS, REGION_NAMES, REGIONS
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BodyMap:
    """One person's map. Positions in mm along the track, depths in mm of roller protrusion."""

    landmarks_y_mm: dict[str, float]
    comfortable_depth_mm: dict[str, float]
    comfort_force_n: dict[str, float]
    tight_spots_y_mm: tuple[float, ...] = ()
    source: str = "model"
    contact_depth_mm: tuple[tuple[float, float], ...] = ()
    """Roller depth at which the scan felt the back with its light contact force (about 4 N), as
    ``(y, depth)`` pairs on the track grid; empty when unknown (a map saved before it was kept).
    A measurement, free of any tissue model: rollers deeper than this press on the back, which
    lets the supervisor tell a dead force sensor from rollers that simply do not reach it."""

    def __post_init__(self) -> None:
        missing = [n for n in LANDMARKS if n not in self.landmarks_y_mm]
        if missing:
            raise ValueError(f"body map lacks landmarks: {', '.join(missing)}")
        for what, values in (
            ("a comfortable depth", self.comfortable_depth_mm),
            ("a comfort force", self.comfort_force_n),
        ):
            missing = [r for r in REGION_NAMES if r not in values]
            if missing:
                raise ValueError(f"body map lacks {what} for: {', '.join(missing)}")
        # NaN or infinity passes every range comparison unnoticed and then breaks a lookup on
        # the track mid-session: a map holds numbers, or it is refused here.
        for what, named in (
            ("landmark", self.landmarks_y_mm),
            ("comfortable depth", self.comfortable_depth_mm),
            ("comfort force", self.comfort_force_n),
        ):
            bad = [k for k, v in named.items() if not _finite(v)]
            if bad:
                raise ValueError(f"body map: {what} {bad[0]} is {named[bad[0]]!r}, not a number")
        if not all(_finite(y) for y in self.tight_spots_y_mm):
            raise ValueError("body map: a tight spot's position is not a number")
        if not all(_finite(y) and _finite(d) for y, d in self.contact_depth_mm):
            raise ValueError("body map: the back profile holds a value that is not a number")


@dataclass(frozen=True)
class BodyMapBatch:
    """Body maps of N people as arrays with a leading batch dimension.

    ``landmarks_y_mm`` is (N, len(LANDMARKS)); ``comfortable_depth_mm`` and ``comfort_force_n``
    are (N, len(REGION_NAMES)); ``tight_spots_y_mm`` is (N, K), padded with NaN where a person has
    fewer than K spots; ``contact_depth_mm`` is (N, G) on ``GRID_Y_MM``, NaN where unknown, or
    empty when no map of the batch has one.
    """

    landmarks_y_mm: FloatArray
    comfortable_depth_mm: FloatArray
    comfort_force_n: FloatArray
    tight_spots_y_mm: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    contact_depth_mm: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def batch_size(self) -> int:
        return int(self.landmarks_y_mm.shape[0])

    @classmethod
    def from_maps(cls, maps: list[BodyMap]) -> BodyMapBatch:
        if not maps:
            raise ValueError("a body map batch needs at least one body map")
        landmarks = np.array([[m.landmarks_y_mm[n] for n in LANDMARKS] for m in maps])
        depths = np.array([[m.comfortable_depth_mm[r] for r in REGION_NAMES] for m in maps])
        forces = np.array([[m.comfort_force_n[r] for r in REGION_NAMES] for m in maps])
        k = max(len(m.tight_spots_y_mm) for m in maps)
        spots = np.full((len(maps), k), np.nan)
        for i, m in enumerate(maps):
            spots[i, : len(m.tight_spots_y_mm)] = m.tight_spots_y_mm
        profiles = np.zeros((len(maps), 0))
        if any(m.contact_depth_mm for m in maps):
            profiles = np.full((len(maps), GRID_Y_MM.size), np.nan)
            for i, m in enumerate(maps):
                for y, depth in m.contact_depth_mm:
                    profiles[i, grid_index(y)] = depth
        return cls(landmarks, depths, forces, spots, profiles)

    def has_contact_depth(self) -> npt.NDArray[np.bool_]:
        """(N,) which bodies' maps carry a contact depth."""
        if self.contact_depth_mm.shape != (self.batch_size, GRID_Y_MM.size):
            return np.zeros(self.batch_size, dtype=bool)
        return np.asarray(np.isfinite(self.contact_depth_mm).any(axis=1))

    def with_landmarks(self, landmarks_y_mm: FloatArray) -> BodyMapBatch:
        """The same maps with the landmarks moved (a shoulder nudge)."""
        return BodyMapBatch(
            landmarks_y_mm,
            self.comfortable_depth_mm,
            self.comfort_force_n,
            self.tight_spots_y_mm,
            self.contact_depth_mm,
        )

    def landmark_y_mm(self, name: str) -> FloatArray:
        """The landmark's y for every body, shape (N,)."""
        try:
            return self.landmarks_y_mm[:, LANDMARK_INDEX[name]]
        except KeyError:
            raise ValueError(f"unknown landmark {name!r}; known: {', '.join(LANDMARKS)}") from None

    def region_bounds_mm(self, region: str) -> tuple[FloatArray, FloatArray]:
        """Lower and upper y of a region for every body, each of shape (N,)."""
        try:
            b = REGIONS[region]
        except KeyError:
            raise ValueError(
                f"unknown region {region!r}; known: {', '.join(REGION_NAMES)}"
            ) from None
        lo = self.landmark_y_mm(b.lower) + b.lower_offset_mm
        hi = self.landmark_y_mm(b.upper) + b.upper_offset_mm
        return lo, hi

    def region_depth_mm(self, region: str) -> FloatArray:
        """The comfortable depth of a region for every body, shape (N,)."""
        return self.comfortable_depth_mm[:, _region_column(region)]

    def region_comfort_force_n(self, region: str) -> FloatArray:
        """The comfort force of a region for every body, shape (N,)."""
        return self.comfort_force_n[:, _region_column(region)]

    def along_track(self, per_region: FloatArray) -> FloatArray:
        """Per-region values (N, R) as a profile (N, G) on the track grid.

        Where regions overlap the smaller value holds; between or beyond regions, the person's
        smallest value: the cautious reading for a limit (comfortable depth, comfort force).
        """
        grid = np.full((self.batch_size, GRID_Y_MM.size), np.inf)
        for j, region in enumerate(REGION_NAMES):
            lo, hi = self.region_bounds_mm(region)
            inside = (GRID_Y_MM[None, :] >= lo[:, None]) & (GRID_Y_MM[None, :] <= hi[:, None])
            grid = np.where(inside, np.minimum(grid, per_region[:, j : j + 1]), grid)
        smallest = per_region.min(axis=1, keepdims=True)
        return np.where(np.isfinite(grid), grid, smallest)

    def map_at(self, i: int) -> BodyMap:
        """Body ``i`` as a single :class:`BodyMap`."""
        spots: tuple[float, ...] = ()
        if self.tight_spots_y_mm.size:
            spots = tuple(float(y) for y in self.tight_spots_y_mm[i] if np.isfinite(y))
        return BodyMap(
            landmarks_y_mm={n: float(self.landmarks_y_mm[i, j]) for j, n in enumerate(LANDMARKS)},
            comfortable_depth_mm={
                r: float(self.comfortable_depth_mm[i, j]) for j, r in enumerate(REGION_NAMES)
            },
            comfort_force_n={
                r: float(self.comfort_force_n[i, j]) for j, r in enumerate(REGION_NAMES)
            },
            tight_spots_y_mm=spots,
            contact_depth_mm=track_pairs(self.contact_depth_mm[i])
            if self.has_contact_depth()[i]
            else (),
        )


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def grid_index(y_mm: float) -> int:
    """The track grid point nearest ``y_mm`` (clipped to the track)."""
    j = round((y_mm - float(GRID_Y_MM[0])) / GRID_STEP_MM)
    return min(max(j, 0), GRID_Y_MM.size - 1)


def track_pairs(profile: FloatArray) -> tuple[tuple[float, float], ...]:
    """A (G,) profile on the track grid (NaN where unknown) as ``(y, value)`` pairs, 0.1 mm."""
    known = np.flatnonzero(np.isfinite(profile))
    return tuple((float(GRID_Y_MM[j]), round(float(profile[j]), 1)) for j in known)


def _region_column(region: str) -> int:
    try:
        return REGION_NAMES.index(region)
    except ValueError:
        raise ValueError(f"unknown region {region!r}; known: {', '.join(REGION_NAMES)}") from None
