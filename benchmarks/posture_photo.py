"""How far the posture measures move when a real photograph imitates a posture change.

Run: .venv/bin/python benchmarks/posture_photo.py [--tracking]

The real model (BlazePose full, static images) on matplotlib's portrait photograph and warped
copies of it: the head lowered towards the shoulders by N pixels, the body tilted about the hips,
and the whole picture enlarged (the person closer to the camera). Prints what was applied and what
the measures read against the unwarped photograph as the calibration. With ``--tracking`` the
model runs as the worker runs it (video mode, tracking from frame to frame): 8 frames of the photo,
then 15 of the warped copy, and the last frame of each is measured.
"""

from __future__ import annotations

import argparse

import cv2
import matplotlib.image as mpimg
import numpy as np
import numpy.typing as npt
from matplotlib import cbook

from openchair.posture.metrics import FrontalMetrics, deviation, frontal_metrics
from openchair.posture.source import PoseEstimator

Image = npt.NDArray[np.uint8]


def head_lowered(img: Image, px: float) -> Image:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    weight = np.clip((0.70 * h - yy) / (0.15 * h), 0.0, 1.0)
    out = cv2.remap(img, xx, yy - px * weight, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8)


def affine(img: Image, centre: tuple[float, float], deg: float, k: float) -> Image:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D(centre, deg, k)
    return np.asarray(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE), np.uint8)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tracking", action="store_true", help="video mode, as the worker runs")
    tracking = p.parse_args().tracking
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = np.ascontiguousarray(mpimg.imread(str(path)), dtype=np.uint8)
    h, w = photo.shape[:2]

    def measure(img: Image) -> FrontalMetrics | None:
        if not tracking:
            return frontal_metrics(static.estimate(img, 0.0))
        with PoseEstimator() as model:  # a fresh tracker: the photo, then the warped copy
            for k in range(8):
                model.estimate(photo, k / 5)
            for k in range(15):
                frame = model.estimate(img, 2 + k / 5)
        return frontal_metrics(frame)

    static = PoseEstimator(static_images=True)
    base = measure(photo)
    assert base is not None
    sw = base.shoulder_width_px
    mode = "video mode (tracking)" if tracking else "static images"
    print(f"photo {w}x{h}, {mode}, shoulder width {sw:.0f} px, eye distance {base.eye_px:.0f} px")
    print(
        f"{'imitation':<24}{'applied':>10}{'head drop':>10}{'sink':>7}{'sh. up':>8}{'lean':>7}"
        f"{'closer':>8}{'sw px':>7}"
    )
    cases = [(f"head lowered {px} px", f"{px / sw:.3f} sw", head_lowered(photo, px)) for px in
             (20, 40, 60, 80)]  # fmt: skip
    cases += [
        (f"tilted {deg:+d}°", f"{abs(deg)}°", affine(photo, (w / 2, h), deg, 1.0))
        for deg in (-12, -10, -6, 6, 10, 12)
    ]
    cases += [
        (f"enlarged x{k}", f"{k - 1:+.0%}", affine(photo, (w / 2, h / 2), 0.0, k))
        for k in (0.85, 1.1, 1.2, 1.3)
    ]
    for name, applied, img in cases:
        m = measure(img)
        if m is None:
            print(f"{name:<24}{applied:>10}   (head or shoulders not found)")
            continue
        d = deviation(m, base)
        print(
            f"{name:<24}{applied:>10}{d.head_drop:>+10.3f}{d.head_sink:>+7.3f}{d.shoulders_raised:>+8.3f}"
            f"{d.lean_deg:>6.1f}°{d.closer:>+8.0%}{m.shoulder_width_px:>7.0f}"
        )


if __name__ == "__main__":
    main()
