"""Counter-based sensor noise: a chair's noise depends only on its seed, the tick and the channel.

A stateful generator per chair would make a batch run differ from single runs (or cost a Python
loop over chairs each tick). Hashing (seed, tick, channel) with splitmix64 gives independent
streams, vectorised, that are the same whatever else is in the batch.

Normal draws are the twin's hottest path (every chair, every channel, every tick), so they are
not computed per tick: a fixed table of standard normals is drawn once, and each (seed, channel)
reads it at its own hashed offset plus a hashed per-tick shift. That is one gather per value
instead of a hash, a logarithm, a square root and a cosine, with the same guarantee: the value
depends on (seed, tick, channel) only.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from openchair.hardware.twin.kernels import gather_normals

U64 = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TICK_MUL = np.uint64(0xD1B54A32D192ED03)
_MASK64 = 2**64 - 1

NORMAL_TABLE_BITS = 16
"""2**16 normals (512 KiB): large enough that no pattern shows, small enough to stay in cache."""
_TABLE_SEED = 20261124
_INDEX = np.uint16
"""Table indices: as wide as NORMAL_TABLE_BITS, so that their arithmetic wraps around the table."""
assert np.iinfo(_INDEX).bits == NORMAL_TABLE_BITS


def _splitmix64(z: U64) -> U64:
    z = (z + _GOLDEN).astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _splitmix64_int(z: int) -> int:
    """The same mix on one Python integer (per-tick scalars need no array)."""
    z = (z + int(_GOLDEN)) & _MASK64
    z = ((z ^ (z >> 30)) * int(_M1)) & _MASK64
    z = ((z ^ (z >> 27)) * int(_M2)) & _MASK64
    return z ^ (z >> 31)


@cache
def normal_table() -> FloatArray:
    """The shared table of standard normals (read-only), the same in every process."""
    table = np.random.default_rng(_TABLE_SEED).standard_normal(2**NORMAL_TABLE_BITS)
    table.flags.writeable = False
    return np.asarray(table, dtype=np.float64)


class CounterNoise:
    """Standard-normal and uniform draws for (chair seed, tick, channel), shape (N, channels)."""

    def __init__(self, seeds: npt.ArrayLike, channels: int) -> None:
        seed_arr = np.asarray(seeds, dtype=np.uint64).reshape(-1, 1)
        chan = np.arange(2 * channels, dtype=np.uint64).reshape(1, -1)
        # Pre-mix seed and channel once; per tick only the tick term changes.
        self._base = _splitmix64(_splitmix64(seed_arr) ^ (chan * _GOLDEN))
        self.channels = channels
        self._table = normal_table()
        # Each (seed, channel) has its own start in the table and its own odd stride, so two
        # channels that happen to share a start still never read the same sequence. They are
        # 16-bit numbers, as wide as the table's index (2**16 entries). Stored one row per
        # channel, so that a draw is column-major (N, channels) and so that a kernel reads a
        # channel of every chair contiguously.
        mask = 2**NORMAL_TABLE_BITS - 1
        mixed = self._base[:, :channels].T
        self.offset = np.ascontiguousarray(((mixed >> np.uint64(40)) & mask).astype(_INDEX))
        self.stride = np.ascontiguousarray((((mixed >> np.uint64(8)) & mask) | 1).astype(_INDEX))
        """(channels, N): each (channel, chair)'s start and odd stride in the table."""

    def subset(self, channels: Sequence[int]) -> CounterNoise:
        """This noise with ``normal`` drawing some channels only, as columns in the given order,
        with the same values (``uniform`` is unchanged): the twin draws every tick only the
        channels it senses every tick."""
        other = copy.copy(self)
        other.offset = np.ascontiguousarray(self.offset[list(channels)])
        other.stride = np.ascontiguousarray(self.stride[list(channels)])
        return other

    def uniform(self, tick: int) -> FloatArray:
        """Uniform draws in (0, 1), shape (N, 2·channels)."""
        t = np.uint64((tick * int(_TICK_MUL)) % 2**64)
        with np.errstate(over="ignore"):
            bits = _splitmix64(self._base ^ t)
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2**53)

    @property
    def table(self) -> FloatArray:
        """The shared table of standard normals the draws read."""
        return self._table

    @staticmethod
    def tick_shift(tick: int) -> int:
        """The tick's hashed shift: a draw reads the table at offset + shift · stride."""
        return _splitmix64_int(tick * int(_TICK_MUL) & _MASK64) >> (64 - NORMAL_TABLE_BITS)

    def normal(self, tick: int) -> FloatArray:
        """Standard-normal draws, shape (N, channels), column-major: the table at
        offset + stride · tick shift, modulo the table's size (the twin's sensing kernel reads
        them chair by chair with the same ``normal_at``)."""
        out = np.empty(self.offset.shape)
        gather_normals(self._table, self.offset, self.stride, self.tick_shift(tick), out)
        return out.T
