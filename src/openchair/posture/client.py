"""The consumer's side of the worker: start it as a separate process and read its numbers.

The consumer (the CLI today, the chair service later) never imports the camera or the model; it
reads ``PoseFrame`` lines from the worker's stdout. Anything that is not a well-formed landmark
line ends the stream with a ``WorkerError`` that says what went wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from openchair.posture.landmarks import LandmarkFormatError, PoseFrame


class WorkerError(Exception):
    """The worker could not start, reported an error, or wrote something unexpected."""


def worker_command(
    *,
    camera: int | None = None,
    video: Path | None = None,
    fps: float = 10.0,
    max_frames: int | None = None,
    t0: float | None = None,
) -> list[str]:
    cmd = [sys.executable, "-m", "openchair.posture.worker", "--fps", str(fps)]
    if video is not None:
        cmd += ["--video", str(video)]
    elif camera is not None:
        cmd += ["--camera", str(camera)]
    if max_frames is not None:
        cmd += ["--max-frames", str(max_frames)]
    if t0 is not None:
        cmd += ["--t0", repr(t0)]
    return cmd


def parse_worker_line(line: str) -> PoseFrame:
    """One stdout line of the worker as a frame, or ``WorkerError`` for its error line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        raise WorkerError(
            f"the posture worker wrote a line that is not JSON: {line[:80]!r}"
        ) from None
    if isinstance(obj, dict) and set(obj) == {"error"}:
        raise WorkerError(str(obj["error"]))
    try:
        return PoseFrame.from_json(line)
    except LandmarkFormatError as err:
        raise WorkerError(f"the posture worker wrote an unexpected line: {err}") from None


class WorkerProcess:
    """``with WorkerProcess(cmd) as w: for frame in w.frames(): ...``; stops the worker on exit."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self._proc: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> WorkerProcess:
        try:
            self._proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
        except OSError as err:
            raise WorkerError(f"cannot start the posture worker: {err}") from None
        return self

    def frames(self) -> Iterator[PoseFrame]:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.strip():
                yield parse_worker_line(line)
        code = self._proc.wait()
        if code != 0:
            raise WorkerError(
                f"the posture worker stopped with status {code} "
                "(is the posture extra installed? run scripts/bootstrap.sh)"
            )

    def __exit__(self, *exc: object) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
