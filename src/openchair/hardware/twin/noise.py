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
        # 16-bit numbers: uint16 arithmetic wraps modulo 2**16, the table's size, so the index
        # needs no mask and its per-tick arithmetic runs on a quarter of the memory of int64.
        # Column-major, so that a draw is too: the twin reads it channel by channel.
        mask = 2**NORMAL_TABLE_BITS - 1
        mixed = self._base[:, :channels]
        self._offset = np.asfortranarray(((mixed >> np.uint64(40)) & mask).astype(_INDEX))
        self._stride = np.asfortranarray((((mixed >> np.uint64(8)) & mask) | 1).astype(_INDEX))

    def subset(self, channels: Sequence[int]) -> CounterNoise:
        """This noise with ``normal`` drawing some channels only, as columns in the given order,
        with the same values (``uniform`` is unchanged): the twin draws every tick only the
        channels it senses every tick."""
        other = copy.copy(self)
        other._offset = np.asfortranarray(self._offset[:, list(channels)])
        other._stride = np.asfortranarray(self._stride[:, list(channels)])
        return other

    def uniform(self, tick: int) -> FloatArray:
        """Uniform draws in (0, 1), shape (N, 2·channels)."""
        t = np.uint64((tick * int(_TICK_MUL)) % 2**64)
        with np.errstate(over="ignore"):
            bits = _splitmix64(self._base ^ t)
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2**53)

    def normal(self, tick: int) -> FloatArray:
        """Standard-normal draws, shape (N, channels), column-major: the table at
        offset + stride · tick shift."""
        shift = _splitmix64_int(tick * int(_TICK_MUL) & _MASK64) >> (64 - NORMAL_TABLE_BITS)
        index = self._offset + _INDEX(shift) * self._stride  # wraps: modulo the table size
        # Gathering with native-width indices is faster than with uint16 ones.
        return np.asarray(self._table[index.astype(np.intp)], dtype=np.float64)
