"""The posture worker's speed, memory and CPU share, as a separate process, on a recording.

Run: .venv/bin/python benchmarks/bench_posture.py [--frames 150] [--size 640x480] [--repeats 3]

It writes a short video of matplotlib's portrait photograph (the person moving slightly, as at a
desk) in a temporary folder, then runs the worker on it as the CLI does (``python -m
openchair.posture.worker --video ...``), analysing every frame. Reported per run:
- start-up: seconds until the first landmark line (Python, MediaPipe and the model loading);
- frames/s: frames analysed per second of wall time after the first line, the most the worker
  can do on this machine while others share the cores;
- CPU ms/frame: the worker's user + system CPU time per frame after the first one (all threads,
  from /proc), and the CPU spent on start-up;
- core share at 10 frames/s: CPU ms/frame x 10 / 1000, the load of watching at the default rate;
- peak RSS: the worker's maximum resident memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import matplotlib.image as mpimg
import numpy as np
from matplotlib import cbook

from openchair.posture.client import parse_worker_line, worker_command

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_twin import machine


def write_clip(path: Path, frames: int, width: int, height: int) -> None:
    photo = mpimg.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    bgr = cv2.cvtColor(np.ascontiguousarray(photo, dtype=np.uint8), cv2.COLOR_RGB2BGR)
    # The portrait centred on a wider background, like a person in front of a laptop camera.
    scale = height / bgr.shape[0]
    person = cv2.resize(bgr, (int(bgr.shape[1] * scale), height))
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (width, height))
    for k in range(frames):
        canvas = np.full((height, width, 3), 90, dtype=np.uint8)
        x = (width - person.shape[1]) // 2 + int(6 * np.sin(k / 8))
        x = min(max(x, 0), width - person.shape[1])
        canvas[:, x : x + person.shape[1]] = person
        out.write(canvas)
    out.release()


def run_once(clip: Path, frames: int) -> dict[str, float]:
    cmd = worker_command(video=clip, fps=1000.0)
    t_start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    t_first = t_last = cpu_first = cpu_last = 0.0
    n = 0
    for line in proc.stdout:
        parse_worker_line(line)
        n += 1
        if n == 1:
            t_first, cpu_first = time.perf_counter(), process_cpu_s(proc.pid)
        if n == frames:
            t_last, cpu_last = time.perf_counter(), process_cpu_s(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and n == frames, (status, n)
    return {
        "startup_s": t_first - t_start,
        "fps": (n - 1) / (t_last - t_first),
        "cpu_ms_per_frame": (cpu_last - cpu_first) / (n - 1) * 1000,
        "startup_cpu_s": usage.ru_utime + usage.ru_stime - (cpu_last - cpu_first),
        "rss_mb": usage.ru_maxrss / 1024,
    }


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process, all its threads, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--size", default="640x480")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    width, height = (int(v) for v in a.size.split("x"))
    print(f"machine: {machine()}")
    print(f"worker: {' '.join(worker_command(video=Path('CLIP'), fps=1000.0)[1:])}")
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.avi"
        write_clip(clip, a.frames, width, height)
        runs = [run_once(clip, a.frames) for _ in range(a.repeats)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{a.frames} frames of {width}x{height}, median of {a.repeats} runs:")
    print(f"  start-up to first landmarks  {med['startup_s']:6.2f} s")
    print(f"  frames analysed per second   {med['fps']:6.1f}")
    print(f"  start-up CPU                 {med['startup_cpu_s']:6.2f} s")
    print(f"  CPU per frame                {med['cpu_ms_per_frame']:6.1f} ms")
    print(f"  core share at 10 frames/s    {med['cpu_ms_per_frame'] * 10 / 1000:6.0%}")
    print(f"  peak RSS                     {med['rss_mb']:6.0f} MB")


if __name__ == "__main__":
    main()
