"""The real pose model (MediaPipe BlazePose full, from the installed wheel) on a real photograph.

matplotlib ships a portrait photograph (``grace_hopper.jpg``). Warping it imitates the postures
the monitor must notice: the head lowered towards the shoulders (a slouch seen from the front),
the body tilted (a sideways lean), and the person larger in the frame (leaning in to the screen).
Each test asserts that the matching measure moves the right way, by a sensible share of the
displacement applied, and that the others stay put. The worker tests run the model in its own
process, as in use, and check that it writes nothing but landmark numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import matplotlib.image as mpimg
import numpy as np
import numpy.typing as npt
import pytest
from matplotlib import cbook
from typer.testing import CliRunner

from openchair.cli.app import _register_commands, app
from openchair.posture import PostureEventKind, PostureMonitor, SlouchReason, ViewMode
from openchair.posture.calibration import calibrate
from openchair.posture.client import WorkerError, WorkerProcess, worker_command
from openchair.posture.landmarks import Lm, PoseFrame
from openchair.posture.metrics import Deviation, FrontalMetrics, deviation, frontal_metrics
from openchair.posture.source import PoseEstimator

Image = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def photo() -> Image:
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return np.ascontiguousarray(mpimg.imread(str(path)), dtype=np.uint8)


@pytest.fixture(scope="module")
def model() -> PoseEstimator:
    return PoseEstimator(static_images=True)


def head_lowered(img: Image, px: float) -> Image:
    """Move everything above the chin down by ``px``, squeezing the neck; shoulders stay."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    weight = np.clip((0.70 * h - yy) / (0.15 * h), 0.0, 1.0)
    return np.asarray(
        cv2.remap(img, xx, yy - px * weight, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        dtype=np.uint8,
    )


def tilted(img: Image, deg: float) -> Image:
    """Rotate about the bottom centre (the hips): a lean to one side."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h), deg, 1.0)
    return np.asarray(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE), np.uint8)


def enlarged(img: Image, k: float) -> Image:
    """Scale about the frame centre: what the camera sees when the person comes closer."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, k)
    return np.asarray(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE), np.uint8)


def measured(model: PoseEstimator, img: Image) -> FrontalMetrics:
    m = frontal_metrics(model.estimate(img, 0.0))
    assert m is not None, "the model lost the head or shoulders"
    return m


def dev(model: PoseEstimator, photo: Image, img: Image) -> Deviation:
    return deviation(measured(model, img), measured(model, photo))


def test_the_photo_shows_one_upright_person(model: PoseEstimator, photo: Image) -> None:
    frame = model.estimate(photo, 0.0)
    assert frame.landmarks is not None
    for i in (Lm.NOSE, Lm.LEFT_EAR, Lm.RIGHT_EAR, Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER):
        assert frame.visibility(i) > 0.95
    m = measured(model, photo)
    assert abs(m.shoulder_roll_deg) < 3.0  # a level portrait
    # The nose sits about half a shoulder width above the shoulder line in an upright portrait.
    assert 0.4 < m.nose_height < 0.7
    # In this photograph the left shoulder (image right) really is on the image's right.
    assert frame.point_px(Lm.LEFT_SHOULDER)[0] > frame.point_px(Lm.RIGHT_SHOULDER)[0]


def test_lowered_head_reads_as_head_forward(model: PoseEstimator, photo: Image) -> None:
    sw = measured(model, photo).shoulder_width_px
    small, large = (
        dev(model, photo, head_lowered(photo, 30)),
        dev(model, photo, head_lowered(photo, 60)),
    )
    applied = 60 / sw  # 0.17 shoulder widths
    assert 0.5 * applied < large.head_drop < 1.2 * applied
    assert 0.0 < small.head_drop < large.head_drop
    assert 0.8 * applied < large.head_sink < 1.2 * applied  # the face itself is placed well
    assert 0.8 * applied / 2 < small.head_sink < 1.2 * applied / 2
    assert large.lean_deg < 3.0 and abs(large.closer) < 0.06 and large.shoulders_raised < 0.05


@pytest.mark.parametrize("deg", [-10.0, 10.0])
def test_tilted_body_reads_as_sideways_lean(model: PoseEstimator, photo: Image, deg: float) -> None:
    d = dev(model, photo, tilted(photo, deg))
    assert 0.5 * abs(deg) < d.lean_deg < 1.5 * abs(deg)
    assert d.head_drop < 0.06 and d.head_sink < 0.06  # a lean is not a slouch


def test_larger_person_reads_as_closer(model: PoseEstimator, photo: Image) -> None:
    near, far = dev(model, photo, enlarged(photo, 1.2)), dev(model, photo, enlarged(photo, 0.85))
    assert 0.08 < near.closer < 0.3
    assert -0.25 < far.closer < -0.05
    for d in (near, far):  # the scale is taken out of the head and shoulder measures
        assert abs(d.head_drop) < 0.05 and abs(d.shoulders_raised) < 0.06
        assert abs(d.head_sink) < 0.05


def test_no_person_in_an_empty_scene(model: PoseEstimator, photo: Image) -> None:
    sky = cv2.resize(photo[:120, 400:], (512, 600))  # a corner of the flag and sky
    assert not model.estimate(np.ascontiguousarray(sky), 0.0).person


def test_real_model_slouch_nudges_and_upright_does_not(model: PoseEstimator, photo: Image) -> None:
    upright = model.estimate(photo, 0.0).landmarks
    slouched = model.estimate(head_lowered(photo, 60), 0.0).landmarks
    h, w = photo.shape[:2]

    def frames(lm: npt.NDArray[np.float64] | None, t0: float, n: int) -> list[PoseFrame]:
        return [PoseFrame(t0 + k / 10, w, h, lm) for k in range(n)]

    mon = PostureMonitor(calibrate(frames(upright, 0.0, 30), ViewMode.FRONTAL))
    events = [e for f in frames(upright, 10.0, 700) for e in mon.observe(f)]
    assert events == []
    events = [e for f in frames(slouched, 80.0, 700) for e in mon.observe(f)]
    assert [e.kind for e in events] == [PostureEventKind.NUDGE]
    assert events[0].reasons == (SlouchReason.HEAD_FORWARD, SlouchReason.SLUMPED)


# -- the worker process -------------------------------------------------------------------------


def write_video(
    path: Path, photo: Image, n_upright: int, n_slouched: int, fps: int = 5, drop_px: float = 80
) -> None:
    h, w = photo.shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    low = head_lowered(photo, drop_px)
    for k in range(n_upright + n_slouched):
        out.write(cv2.cvtColor(photo if k < n_upright else low, cv2.COLOR_RGB2BGR))
    out.release()


def test_worker_sends_only_landmark_numbers_and_writes_nothing(
    tmp_path: Path, photo: Image
) -> None:
    video = tmp_path / "clip.avi"
    write_video(video, photo, 6, 0)
    before = sorted(tmp_path.rglob("*"))
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_DATA_HOME")}
    env["HOME"] = str(tmp_path)
    # A 5 frames/s recording analysed at 2.5 frames/s: every other frame, on the video's clock.
    cmd = worker_command(video=video, fps=2.5, t0=1000.0)
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-500:]
    lines = run.stdout.splitlines()
    assert len(lines) == 3
    for k, line in enumerate(lines):
        obj = json.loads(line)
        assert set(obj) == {"t", "w", "h", "lm"}  # numbers only: time, size, landmarks
        frame = PoseFrame.from_json(line)
        assert frame.person and frame.t_s == pytest.approx(1000.0 + k * 0.4, abs=0.01)
    assert max(len(line) for line in lines) < 2000  # a 512x600 frame would be ~900 kB
    # Nothing written under HOME or the working folder, except that the model's package imports
    # matplotlib, which keeps its list of installed fonts (no picture) in ~/.cache/matplotlib.
    mpl = {tmp_path / ".cache", tmp_path / ".config"}
    after = [p for p in tmp_path.rglob("*") if not mpl & set(p.parents) and p not in mpl]
    assert sorted(after) == before
    for p in (tmp_path / ".cache").rglob("*"):
        assert p.is_dir() or p.name.startswith("fontlist"), p
    assert not [p for p in (tmp_path / ".config").rglob("*") if p.is_file()]


def test_missing_video_is_a_clear_error(tmp_path: Path) -> None:
    with (
        WorkerProcess(worker_command(video=tmp_path / "none.avi")) as w,
        pytest.raises(WorkerError, match=r"no video file at .*none\.avi"),
    ):
        list(w.frames())


def test_consumer_side_never_loads_camera_or_model() -> None:
    code = (
        "import sys, openchair.posture, openchair.posture.client, openchair.cli.posture_cmd;"
        "bad = [m for m in ('mediapipe', 'cv2') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_cli_calibrate_then_watch_a_recording(
    tmp_path: Path, photo: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(tmp_path / "data"))
    _register_commands()
    runner = CliRunner()
    video = tmp_path / "desk.avi"
    write_video(video, photo, 15, 35)  # 3 s upright, then 7 s with the head lowered
    cal = runner.invoke(app, ["posture", "calibrate", "--video", str(video), "--seconds", "2"])
    assert cal.exit_code == 0, cal.output
    assert (tmp_path / "data" / "posture" / "calibration-frontal.json").is_file()
    res = runner.invoke(
        app, ["posture", "watch", "--video", str(video), "--json", "--nudge-after", "3"]
    )
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    events = [x for x in lines if x["type"] == "event"]
    assert [e["kind"] for e in events] == ["nudge"]
    # As the worker tracks from frame to frame, the model's shoulder points follow the squeezed
    # neck down, so the head reads as sunk in the view more than as nearer the shoulders.
    assert "slumped" in events[0]["reasons"]
    (summary,) = [x for x in lines if x["type"] == "summary"]
    day = summary["days"][0]
    assert 0.05 < day["slouched_min"] < 0.12  # about 5 of the 7 slouched seconds


def test_cli_refuses_calibration_with_nobody_in_view(
    tmp_path: Path, photo: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(tmp_path / "data"))
    _register_commands()
    video = tmp_path / "empty.avi"
    sky = np.ascontiguousarray(cv2.resize(photo[:120, 400:], (512, 600)), dtype=np.uint8)
    write_video(video, sky, 12, 0)
    res = CliRunner().invoke(app, ["posture", "calibrate", "--video", str(video), "--json"])
    assert res.exit_code == 1
    assert "nobody in view" in json.loads(res.output)["error"]
    res = CliRunner().invoke(app, ["posture", "watch", "--video", str(video)])
    assert res.exit_code == 1 and "openchair posture calibrate" in res.output


def test_installed_model_is_the_published_one() -> None:
    from openchair.posture.provenance import WHEEL_SHA256, check_installed

    checks = check_installed()
    assert checks and all(c.matches_published and c.matches_record for c in checks), checks
    pins = (Path(__file__).parents[1] / "requirements" / "posture.txt").read_text()
    assert f"mediapipe==0.10.21 \\\n    --hash=sha256:{WHEEL_SHA256}" in pins
