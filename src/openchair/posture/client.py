"""The consumer's side of the worker: start it as a separate process and read its numbers.

The consumer (the CLI today, the chair service later) never imports the camera or the model; it
reads ``PoseFrame`` lines from the worker's stdout. Anything that is not a well-formed landmark
line ends the stream with a ``WorkerError`` that says what went wrong.
"""

from __future__ import annotations

import json
import os
import selectors
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
    """``with WorkerProcess(cmd) as w: for frame in w.frames(): ...``; stops the worker on exit.

    A worker that goes silent (a camera that hangs, a model stuck) is not waited for forever:
    ``frames`` raises ``WorkerError`` when no line arrives within ``start_timeout_s`` of the start
    (the model takes a second or two to load) or ``frame_timeout_s`` after the previous line.
    """

    def __init__(
        self, cmd: list[str], *, start_timeout_s: float = 60.0, frame_timeout_s: float = 10.0
    ) -> None:
        self.cmd = cmd
        self.start_timeout_s = start_timeout_s
        self.frame_timeout_s = frame_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

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
            )
        except OSError as err:
            raise WorkerError(f"cannot start the posture worker: {err}") from None
        return self

    def _lines(self) -> Iterator[str]:
        """The worker's lines as they come, with a time limit on each wait."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        buf = b""
        timeout = self.start_timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                if not sel.select(timeout):
                    raise WorkerError(
                        f"the posture worker sent nothing for {timeout:.0f} s "
                        "(camera not delivering frames?)"
                    )
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    yield raw.decode("utf-8", errors="replace")
                timeout = self.frame_timeout_s
        if buf.strip():
            yield buf.decode("utf-8", errors="replace")

    def frames(self) -> Iterator[PoseFrame]:
        assert self._proc is not None
        for line in self._lines():
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
