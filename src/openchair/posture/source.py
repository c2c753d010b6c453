"""The camera and the pose model: used only inside the posture worker process.

Nothing here is imported by the consumer side (``monitor``, ``events``, the CLI's view): the
heavy libraries (MediaPipe, OpenCV) and every pixel stay in the worker. ``PoseEstimator`` turns an
RGB array into a ``PoseFrame`` of numbers; the array is dropped as soon as the model has run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from openchair.posture.landmarks import N_LANDMARKS, PoseFrame

MODEL_COMPLEXITY = 1
"""BlazePose "full": the only pose model inside the mediapipe 0.10.21 wheel (lite and heavy
would be downloaded at run time, which openchair never does)."""


class SourceError(Exception):
    """The camera or video cannot be read; the message says which and why."""


class PoseEstimator:
    """MediaPipe Pose (BlazePose full) on the CPU, from the files inside the installed wheel."""

    def __init__(self, *, static_images: bool = False, min_confidence: float = 0.5) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")  # quiet the C++ start-up chatter
        import mediapipe as mp

        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=static_images,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )

    def estimate(self, rgb: npt.NDArray[np.uint8], t_s: float) -> PoseFrame:
        """Landmarks of the most prominent person in ``rgb`` (H, W, 3), or "nobody"."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        result = self._pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return PoseFrame(t_s=t_s, width_px=w, height_px=h, landmarks=None)
        lm = np.array(
            [[p.x, p.y, p.z, p.visibility] for p in result.pose_landmarks.landmark],
            dtype=np.float64,
        )
        assert lm.shape == (N_LANDMARKS, 4)
        return PoseFrame(t_s=t_s, width_px=w, height_px=h, landmarks=lm)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class FrameSpec:
    """Where frames come from: a camera index or a video file."""

    camera: int | None = None
    video: Path | None = None


def read_frames(
    spec: FrameSpec, clock: Callable[[], float], fps: float, t0: float | None = None
) -> Iterator[tuple[float, npt.NDArray[np.uint8]]]:
    """(time, RGB frame) pairs at no more than ``fps`` frames per second.

    A camera's frames are stamped with ``clock()``; a video's with ``t0`` (default ``clock()`` at
    the start) plus its own position, so a recording replays with its real timing.
    """
    import cv2

    if spec.video is not None:
        if not spec.video.is_file():
            raise SourceError(f"no video file at {spec.video}")
        cap = cv2.VideoCapture(str(spec.video))
    else:
        cap = cv2.VideoCapture(spec.camera if spec.camera is not None else 0)
    if not cap.isOpened():
        what = f"video {spec.video}" if spec.video is not None else f"camera {spec.camera or 0}"
        raise SourceError(f"cannot open {what}")
    start = clock() if t0 is None else t0
    step = 1.0 / fps
    next_due = -float("inf")
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                if spec.video is None:
                    raise SourceError(f"camera {spec.camera or 0} stopped giving frames")
                return
            if spec.video is not None:
                t = start + cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            else:
                t = clock()
            if t < next_due:
                continue
            next_due = t + step - 1e-6
            yield t, np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    finally:
        cap.release()
