"""Where the control thread's time goes in a whole `openchair run PROGRAM` on the twin.

Run: .venv/bin/python benchmarks/profile_run.py [PROGRAM]

The same path as ``openchair run PROGRAM --json`` (``run_on_twin``: the service in-process, the
scan, the session, storage in a temporary folder, the CLI's truth peaks), with a CPU timer
(``time.thread_time``) around each layer the control thread calls. Each layer's time is its own:
what it called that is timed too is counted there. The timers cost about a µs per call, which
lands in the loop's own share.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

LAYERS: list[tuple[str, str, str, str]] = [
    # (module, class, method, layer)
    ("openchair.service.loop", "ChairLoop", "_tick", "service loop (own)"),
    ("openchair.service.loop", "ChairLoop", "_frame", "state frames"),
    ("openchair.service.hub", "FrameHub", "publish", "state frames"),
    ("openchair.store.writer", "StoreWriter", "note", "storage notes"),
    ("openchair.control.session", "Session", "record", "storage notes"),
    ("openchair.control.session", "Session", "tick", "session"),
    ("openchair.programs.compiler", "CompiledProgram", "setpoints_at", "compiler"),
    ("openchair.safety.supervisor", "SafetySupervisor", "filter", "supervisor"),
    ("openchair.hardware.twin.chair", "TwinChair", "read", "twin"),
    ("openchair.hardware.twin.chair", "TwinChair", "write", "twin"),
    ("openchair.verify.truth", "TruthPeaks", "observe", "CLI truth peaks"),
    ("openchair.hardware.twin.chair", "TwinChair", "peek_truth", "CLI truth peaks"),
    ("openchair.scan.run", "ScanSweep", "tick", "scan"),
]


def main() -> None:
    import importlib

    from openchair.body.model import BodyParams
    from openchair.cli.run_cmd import run_on_twin
    from openchair.service.factory import ServiceOptions

    spent: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter[str] = collections.Counter()
    stack: list[float] = []
    clock = time.thread_time

    def wrap(fn: Callable[..., Any], layer: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread().name != "openchair-control":
                return fn(*args, **kwargs)
            t0 = clock()
            stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                took = clock() - t0
                inner = stack.pop()
                spent[layer] += took - inner
                calls[layer] += 1
                if stack:
                    stack[-1] += took

        return timed

    for module, cls_name, method, layer in LAYERS:
        cls = getattr(importlib.import_module(module), cls_name)
        setattr(cls, method, wrap(getattr(cls, method), layer))

    program = sys.argv[1] if len(sys.argv) > 1 else "quick"
    with tempfile.TemporaryDirectory() as data_dir:
        wall0 = time.perf_counter()
        record = run_on_twin(
            program,
            BodyParams.from_percentile(50, "male"),
            speed=None,
            intensity=3,
            faults=[],
            seed=0,
            console=None,
            live=False,
            options=ServiceOptions(data_dir=data_dir),
        )
        wall = time.perf_counter() - wall0
    ticks = calls["service loop (own)"]
    total = sum(spent.values())
    print(
        f"{program}: {record.chairs[0].outcome.value}, {ticks} ticks, {wall:.1f} s wall, "
        f"control thread CPU {total:.1f} s ({total / ticks * 1e6:.0f} µs a tick)"
    )
    print(f"{'layer':<22}{'CPU s':>8}{'share':>8}{'µs/tick':>9}{'calls':>9}")
    for layer, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{layer:<22}{s:>8.2f}{s / total:>8.1%}{s / ticks * 1e6:>9.1f}{calls[layer]:>9}")


if __name__ == "__main__":
    main()
