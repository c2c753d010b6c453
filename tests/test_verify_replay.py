"""A body verified among others replays exactly alone, even when the bodies' scans take
different times (the printed replay command must show the same margins as the batch)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from openchair.body.batch import BodyBatch
from openchair.body.model import BodyParams
from openchair.hardware.twin import TwinChair
from openchair.programs import parse_program
from openchair.safety.limits import DEFAULT_LIMITS
from openchair.scan import run_scan
from openchair.verify.rules import RULE_NAMES
from openchair.verify.runner import ScannedChunk, run_program_chunk, scan_chunk

PRESS = parse_program(
    """
id = "press-check"
name = "Press check"
description = "A roll down the back, then kneading the lumbar at full depth."
minutes = 0.5

[[step]]
seconds = 10
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3

[[step]]
seconds = 20
technique = "knead"
zone = "lumbar"
depth = 1.0
""",
    "press-check.toml",
)

BODIES = [
    # A small, stiff, strongly curved woman: her sweep is over two seconds before a typical one.
    BodyParams(1450, 42, "female", lordosis=1.8, kyphosis=1.8, tissue_softness=0.6, seed=6834),
    BodyParams(2000, 100, "male", seed=3),
    BodyParams(1747, 90.7, "male", lordosis=1.02, kyphosis=0.89, tissue_softness=1.05, seed=7),
]


@cache
def chunk(*indices: int) -> ScannedChunk:
    """The bodies ``indices`` scanned together (one index: alone), kept for every test."""
    return scan_chunk([BODIES[i] for i in indices], list(indices))


def test_the_bodies_scans_really_differ_in_length() -> None:
    result = run_scan(TwinChair(BodyBatch.from_params(BODIES), seeds=[p.seed for p in BODIES]))
    ready = result.chairs_ready_s
    assert max(ready) - min(ready) >= 1.5, ready
    assert result.duration_s < DEFAULT_LIMITS.scan_duration_max_s  # and within the scan's limit


def test_every_run_starts_at_the_same_time_after_the_scan_began() -> None:
    together = chunk(0, 1, 2).start_s
    assert together == chunk(0).start_s == chunk(1).start_s
    assert together == pytest.approx(DEFAULT_LIMITS.scan_duration_max_s)


def test_a_body_in_a_batch_of_longer_scans_has_the_margins_of_its_replay_alone() -> None:
    batch = run_program_chunk(PRESS, chunk(0, 1, 2))
    for i in (0, 1):
        alone = run_program_chunk(PRESS, chunk(i))
        for rule in RULE_NAMES:
            assert alone.margins[rule][0] == batch.margins[rule][i], (i, rule)
        assert alone.peak_force_n[0] == batch.peak_force_n[i]
        assert alone.peak_ratio[0] == batch.peak_ratio[i]
        np.testing.assert_array_equal(alone.back_seconds[0], batch.back_seconds[i])
