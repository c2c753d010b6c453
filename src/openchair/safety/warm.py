"""Compile the supervisor's kernels into their cache, so that nobody waits for the compiler.

Run once by ``scripts/bootstrap.sh`` (``python -m openchair.safety.warm``): a few ticks of a
program on the twin, with a heated program so the heat kernel sees the arrays it sees in use.
Numba caches each kernel in ``__pycache__`` next to its source; later processes load it in
milliseconds. Without this, the first run after an install would compile for several seconds.
"""

from __future__ import annotations

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.control.session import Session
from openchair.hardware.twin import TwinChair
from openchair.programs import ProgramLibrary


def warm(ticks: int = 20) -> None:
    """Filter ``ticks`` frames of one chair and of two chairs (every kernel, every layout)."""
    library = ProgramLibrary(user_dir=None)
    for n in (1, 2):
        bodies = BodyBatch.from_params(
            [BodyParams.from_percentile(50, "male", seed=i) for i in range(n)]
        )
        twin = TwinChair(bodies, seeds=list(range(n)))
        session = Session(library.get("heated-back"), bodies.true_maps(), twin)
        for k in range(ticks):
            session.tick(k * session.tick_s)


if __name__ == "__main__":
    warm()
