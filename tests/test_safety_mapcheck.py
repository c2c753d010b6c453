"""A saved body map is checked against the person seated before a session uses it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.hardware.twin import TwinChair
from openchair.safety.mapcheck import bounds_problem, compare_maps
from openchair.scan.run import run_scan, save_map

WOMAN = BodyParams.from_percentile(5, "female", seed=1)
MAN = BodyParams.from_percentile(95, "male", seed=2)


@cache
def scanned() -> BodyMapBatch:
    """The light-contact scan of a small woman and a tall man, one chair each."""
    twin = TwinChair(BodyBatch.from_params([WOMAN, MAN]), seeds=[1, 2])
    return run_scan(twin).maps()


def swapped(maps: BodyMapBatch) -> BodyMapBatch:
    order = np.array([1, 0])
    return BodyMapBatch(
        maps.landmarks_y_mm[order],
        maps.comfortable_depth_mm[order],
        maps.comfort_force_n[order],
        maps.tight_spots_y_mm[order],
        maps.contact_depth_mm[order],
    )


def test_another_persons_map_is_refused_and_ones_own_accepted() -> None:
    felt = scanned()
    assert compare_maps(felt, felt).ok
    check = compare_maps(swapped(felt), felt)
    assert check.mismatch[0] is not None and check.mismatch[1] is not None
    assert "shoulder" in check.mismatch[0] or "back" in check.mismatch[0]


@settings(max_examples=30, deadline=None)
@given(
    depth_scale=st.floats(0.1, 10.0),
    force_scale=st.floats(0.1, 10.0),
)
def test_a_matching_map_never_asks_for_more_than_the_pass_felt(
    depth_scale: float, force_scale: float
) -> None:
    felt = scanned()
    edited = BodyMapBatch(
        felt.landmarks_y_mm,
        felt.comfortable_depth_mm * depth_scale,
        felt.comfort_force_n * force_scale,
        felt.tight_spots_y_mm,
        felt.contact_depth_mm,
    )
    check = compare_maps(edited, felt)
    # Scaled past what a human body can be, it is refused for that; else it fits (same person).
    for i in range(edited.batch_size):
        outside = bounds_problem(edited, i)
        assert check.mismatch[i] == outside
    assert np.all(check.maps.comfortable_depth_mm <= felt.comfortable_depth_mm)
    assert np.all(check.maps.comfort_force_n <= felt.comfort_force_n)
    assert np.all(check.maps.comfortable_depth_mm <= edited.comfortable_depth_mm)


def test_run_refuses_a_map_that_does_not_fit_the_person(tmp_path: Path) -> None:
    twin = TwinChair(BodyBatch.from_params([MAN]), seeds=[2])
    result = run_scan(twin)
    body_map = result.chairs[0].body_map
    assert body_map is not None
    path = tmp_path / "man.json"
    save_map(body_map, path)
    assert json.loads(path.read_text())  # a real saved map
    _register_commands()
    out = CliRunner().invoke(
        app, ["run", "quick", "--body", "stature=1500,mass=50,sex=female", "--body-map", str(path)]
    )
    assert out.exit_code == 1, out.output
    assert "does not fit the person seated" in out.output
