"""Compile every kernel into numba's cache once, so that nobody waits for the compiler.

``scripts/bootstrap.sh`` runs ``python -m openchair.warm`` after installing. Numba caches each
kernel in ``__pycache__`` next to its source; later processes load it in milliseconds. Without
this, the first run, demo or test after an install would compile for 10-30 s.
"""

from __future__ import annotations

import time

from openchair.hardware.twin.chair import warm_up as warm_twin
from openchair.safety.warm import warm as warm_supervisor


def warm() -> float:
    """Compile (or load) the twin's and the supervisor's kernels; the seconds it took."""
    t0 = time.perf_counter()
    warm_twin()
    warm_supervisor()
    return time.perf_counter() - t0


if __name__ == "__main__":
    print(f"openchair: compiled kernels ready ({warm():.1f} s)")
