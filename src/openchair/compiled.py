"""Compiled kernels: the one way openchair compiles a hot loop with numba.

The simulation's per-tick work (the twin's physics, the supervisor's rules) runs over every chair
of a batch once per tick; as numpy code it makes hundreds of passes over the chairs' arrays, each
with Python's fixed cost. A kernel reads each chair's numbers once. Kernels replace the numpy code
they speed up: there is one implementation of each rule, and the tests run it.

Every kernel is compiled with the same options:
- ``cache=True``: compiled once per machine into ``__pycache__`` next to the source (the
  set-up script warms it, so a person never waits for the compiler);
- ``error_model="numpy"``: a division by zero gives inf or nan as numpy does, instead of raising,
  so results are the same as the numpy code's;
- no ``fastmath``: IEEE arithmetic, no reordering, so results are reproducible bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def kernel(fn: F) -> F:
    """Compile ``fn`` in nopython mode with openchair's kernel options, keeping its type."""
    return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(fn))
