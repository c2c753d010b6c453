"""Pose landmarks as numbers: the only thing that leaves the posture worker.

A ``PoseFrame`` is one camera frame reduced to the 33 MediaPipe body landmarks (or to "nobody in
view"), with the frame's size so that distances can be measured in pixels. It serialises to one
JSON line; a frame's pixels never appear here, by construction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

N_LANDMARKS = 33
"""MediaPipe Pose's body landmarks (BlazePose topology)."""


class Lm(IntEnum):
    """Indices of the landmarks openchair uses (MediaPipe's ``PoseLandmark`` numbering)."""

    NOSE = 0
    LEFT_EYE = 2
    RIGHT_EYE = 5
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24


SKELETON: tuple[tuple[Lm, Lm], ...] = (
    (Lm.LEFT_EAR, Lm.LEFT_EYE),
    (Lm.LEFT_EYE, Lm.NOSE),
    (Lm.NOSE, Lm.RIGHT_EYE),
    (Lm.RIGHT_EYE, Lm.RIGHT_EAR),
    (Lm.MOUTH_LEFT, Lm.MOUTH_RIGHT),
    (Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER),
    (Lm.LEFT_SHOULDER, Lm.LEFT_ELBOW),
    (Lm.LEFT_ELBOW, Lm.LEFT_WRIST),
    (Lm.RIGHT_SHOULDER, Lm.RIGHT_ELBOW),
    (Lm.RIGHT_ELBOW, Lm.RIGHT_WRIST),
    (Lm.LEFT_SHOULDER, Lm.LEFT_HIP),
    (Lm.RIGHT_SHOULDER, Lm.RIGHT_HIP),
    (Lm.LEFT_HIP, Lm.RIGHT_HIP),
)
"""The lines the terminal preview draws."""


class LandmarkFormatError(ValueError):
    """A landmark line that is not what the worker writes (clear message, no traceback)."""


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """One frame's landmarks.

    ``landmarks`` is ``None`` when nobody is in view, else an array (33, 4) of x, y (fractions of
    the frame's width and height, y down), z (MediaPipe's relative depth) and visibility (0..1).
    ``t_s`` is the time the frame was taken, from the worker's injected clock.
    """

    t_s: float
    width_px: int
    height_px: int
    landmarks: npt.NDArray[np.float64] | None

    @property
    def person(self) -> bool:
        return self.landmarks is not None

    def to_json(self) -> str:
        """One JSON line of numbers: time, frame size and the landmarks (4 decimals)."""
        lm = None
        if self.landmarks is not None:
            lm = [[round(float(v), 4) for v in row] for row in self.landmarks]
        return json.dumps(
            {"t": round(self.t_s, 4), "w": self.width_px, "h": self.height_px, "lm": lm},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> PoseFrame:
        """Parse a worker line, rejecting anything but numbers of the expected shape."""
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as err:
            raise LandmarkFormatError(f"not a JSON line: {err.msg}") from None
        if not isinstance(obj, dict) or set(obj) != {"t", "w", "h", "lm"}:
            raise LandmarkFormatError("a landmark line has exactly the keys t, w, h, lm")
        t, w, h, lm = obj["t"], obj["w"], obj["h"], obj["lm"]
        if not _is_number(t) or not math.isfinite(float(t)):
            raise LandmarkFormatError("t must be a finite number of seconds")
        if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
            raise LandmarkFormatError("w and h must be positive integers (pixels)")
        arr: npt.NDArray[np.float64] | None = None
        if lm is not None:
            if not (
                isinstance(lm, list)
                and len(lm) == N_LANDMARKS
                and all(
                    isinstance(r, list) and len(r) == 4 and all(_is_number(v) for v in r)
                    for r in lm
                )
            ):
                raise LandmarkFormatError(f"lm must be null or {N_LANDMARKS} rows of 4 numbers")
            arr = np.asarray(lm, dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                raise LandmarkFormatError("landmarks must be finite")
        return cls(t_s=float(t), width_px=w, height_px=h, landmarks=arr)

    def point_px(self, i: int) -> npt.NDArray[np.float64]:
        """Landmark ``i`` in pixels (x right, y down)."""
        assert self.landmarks is not None
        return np.array(
            [self.landmarks[i, 0] * self.width_px, self.landmarks[i, 1] * self.height_px]
        )

    def visibility(self, i: int) -> float:
        assert self.landmarks is not None
        return float(self.landmarks[i, 3])


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
