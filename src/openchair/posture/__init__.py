"""The webcam posture monitor: a separate worker process turns camera frames into landmark
numbers; this side turns those numbers into posture measures against the person's own calibrated
upright posture, events (nudge, away, back) and a day's tally. See docs/POSTURE.md.

Importing this package never imports the camera or the pose model (they live in
``openchair.posture.source``, used only by ``openchair.posture.worker``).
"""

from openchair.posture.calibration import Calibration, CalibrationError, CalibrationFileError
from openchair.posture.config import PostureConfig
from openchair.posture.events import (
    PostureDaySummary,
    PostureEvent,
    PostureEventKind,
    SittingStreak,
    SlouchReason,
)
from openchair.posture.landmarks import PoseFrame
from openchair.posture.metrics import ViewMode
from openchair.posture.monitor import PostureMonitor, PostureState

__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationFileError",
    "PoseFrame",
    "PostureConfig",
    "PostureDaySummary",
    "PostureEvent",
    "PostureEventKind",
    "PostureMonitor",
    "PostureState",
    "SittingStreak",
    "SlouchReason",
    "ViewMode",
]
