"""Is the installed pose model the one Google published? Hashes of the files that matter.

``requirements/posture.txt`` pins Google's own ``mediapipe==0.10.21`` wheel by its SHA-256, the
hash PyPI publishes for that file, so pip refuses any other bytes at install time. This module
checks the installed result: the pose detector and landmark models (``.tflite``), the graph that
ties them together, and the native library that runs them, against the hashes of those files inside
that wheel. Run ``python -m openchair.posture.provenance`` (exit status 1 on any difference).
Finding the package does not import it (no camera, no model is loaded).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.21"
WHEEL = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"

PUBLISHED_SHA256: dict[str, str] = {
    "modules/pose_detection/pose_detection.tflite": (
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
    ),
    "modules/pose_landmark/pose_landmark_full.tflite": (
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
    ),
    "modules/pose_landmark/pose_landmark_cpu.binarypb": (
        "90ddc717625a3c1aedfdca124212a36ce595cdbbe46513fd93adca5202d8ff21"
    ),
    "python/_framework_bindings.cpython-311-x86_64-linux-gnu.so": (
        "f1f32f4e4951a11704ed24d64e8e72396100222d73dadfe0d0cda8821bc9ac82"
    ),
}
"""SHA-256 of each file inside Google's wheel (read from the downloaded wheel, docs/POSTURE.md)."""


@dataclass(frozen=True)
class FileCheck:
    path: str
    sha256: str | None
    """None when the file is missing."""
    matches_published: bool
    matches_record: bool
    """The hash pip wrote in the package's RECORD when it installed it."""


def mediapipe_dir() -> Path | None:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _record_hashes(pkg: Path) -> dict[str, str]:
    record = pkg.parent / f"mediapipe-{MEDIAPIPE_VERSION}.dist-info" / "RECORD"
    out: dict[str, str] = {}
    if not record.is_file():
        return out
    for line in record.read_text(encoding="utf-8").splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[1].startswith("sha256="):
            raw = base64.urlsafe_b64decode(parts[1][7:] + "=" * (-len(parts[1][7:]) % 4))
            out[parts[0]] = raw.hex()
    return out


def check_installed() -> list[FileCheck]:
    pkg = mediapipe_dir()
    if pkg is None:
        return [FileCheck(rel, None, False, False) for rel in PUBLISHED_SHA256]
    record = _record_hashes(pkg)
    checks = []
    for rel, want in PUBLISHED_SHA256.items():
        path = pkg / rel
        got = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        checks.append(FileCheck(rel, got, got == want, got == record.get(f"mediapipe/{rel}")))
    return checks


def main() -> int:
    pkg = mediapipe_dir()
    print(f"mediapipe package: {pkg or 'NOT INSTALLED (run scripts/bootstrap.sh)'}")
    print(f"pinned wheel: {WHEEL} sha256={WHEEL_SHA256}")
    ok = pkg is not None
    for c in check_installed():
        good = c.matches_published and c.matches_record
        ok &= good
        print(f"{'ok      ' if good else 'MISMATCH'} {c.path} {c.sha256 or 'missing'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
