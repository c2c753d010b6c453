"""The body scan: find the shoulders and the spine's curve, and fit every program to the person."""

from openchair.scan.estimate import ChairEstimate, ScanOutcome
from openchair.scan.routine import ScanRoutine
from openchair.scan.run import (
    ScanResult,
    load_map,
    nudge_shoulder,
    provisional_map,
    run_scan,
    save_map,
)

__all__ = [
    "ChairEstimate",
    "ScanOutcome",
    "ScanResult",
    "ScanRoutine",
    "load_map",
    "nudge_shoulder",
    "provisional_map",
    "run_scan",
    "save_map",
]
