"""Counter-based sensor noise: a chair's noise depends only on its seed, the tick and the channel.

A stateful generator per chair would make a batch run differ from single runs (or cost a Python
loop over chairs each tick). Hashing (seed, tick, channel) with splitmix64 gives independent
streams, vectorised, that are the same whatever else is in the batch.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TICK_MUL = np.uint64(0xD1B54A32D192ED03)


def _splitmix64(z: U64) -> U64:
    z = (z + _GOLDEN).astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class CounterNoise:
    """Standard-normal and uniform draws for (chair seed, tick, channel), shape (N, channels)."""

    def __init__(self, seeds: npt.ArrayLike, channels: int) -> None:
        seed_arr = np.asarray(seeds, dtype=np.uint64).reshape(-1, 1)
        chan = np.arange(2 * channels, dtype=np.uint64).reshape(1, -1)
        # Pre-mix seed and channel once; per tick only the tick term changes.
        self._base = _splitmix64(_splitmix64(seed_arr) ^ (chan * _GOLDEN))
        self.channels = channels

    def uniform(self, tick: int) -> FloatArray:
        """Uniform draws in (0, 1), shape (N, 2·channels)."""
        t = np.uint64((tick * int(_TICK_MUL)) % 2**64)
        with np.errstate(over="ignore"):
            bits = _splitmix64(self._base ^ t)
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2**53)

    def normal(self, tick: int) -> FloatArray:
        """Standard-normal draws, shape (N, channels), by Box–Muller on two uniforms."""
        u = self.uniform(tick)
        u1 = u[:, : self.channels]
        u2 = u[:, self.channels :]
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
