"""The posture worker: its own process, camera in, numbers out.

Run as ``python -m openchair.posture.worker --camera 0`` (the CLI starts it for you). It reads
frames, runs the pose model and writes one JSON line per processed frame to stdout: the 33 landmarks
as numbers, or ``"lm": null`` when nobody is in view. A problem is one ``{"error": ...}`` line and
exit status 2. It writes no file, opens no socket, and never writes or sends a frame: the only
``write`` in this program is ``PoseFrame.to_json()`` to stdout (docs/POSTURE.md shows how to check).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from openchair.posture.source import FrameSpec, PoseEstimator, SourceError, read_frames

EXIT_SOURCE_ERROR = 2


def run_worker(
    spec: FrameSpec,
    out: TextIO,
    *,
    clock: Callable[[], float] = time.time,
    fps: float = 10.0,
    max_frames: int | None = None,
    t0: float | None = None,
) -> int:
    """Stream landmark lines to ``out``; returns the process exit status."""
    try:
        try:
            estimator = PoseEstimator()
        except ImportError as err:
            raise SourceError(
                f"the pose model is not installed ({err.name or err}): run scripts/bootstrap.sh"
            ) from None
        with estimator as model:
            for n, (t, rgb) in enumerate(read_frames(spec, clock, fps, t0), start=1):
                line = model.estimate(rgb, t).to_json()
                del rgb  # the pixels end here
                out.write(line + "\n")
                out.flush()
                if max_frames is not None and n >= max_frames:
                    break
    except SourceError as err:
        out.write(json.dumps({"error": str(err)}) + "\n")
        out.flush()
        return EXIT_SOURCE_ERROR
    except BrokenPipeError:  # the consumer went away: nothing left to do
        return 0
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="openchair-posture-worker", description=__doc__)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, help="camera index (default 0)")
    src.add_argument("--video", type=Path, default=None, help="a video file instead of a camera")
    p.add_argument("--fps", type=float, default=10.0, help="frames processed per second at most")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.add_argument("--t0", type=float, default=None, help="time stamp of a video's first frame")
    a = p.parse_args(argv)
    if a.fps <= 0:
        p.error("--fps must be positive")
    if a.max_frames is not None and a.max_frames <= 0:
        p.error("--max-frames must be positive")
    spec = FrameSpec(camera=a.camera, video=a.video)
    # The landmark stream gets a private copy of stdout; file descriptor 1 then points at stderr,
    # so that anything the native libraries print can never mix into the stream.
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    with stream:
        return run_worker(spec, stream, fps=a.fps, max_frames=a.max_frames, t0=a.t0)


if __name__ == "__main__":
    sys.exit(main())
