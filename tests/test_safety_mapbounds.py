"""A body map must be what a human body can be (``limits.py``, ``BODY_MAP_*``)."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMap, BodyMapBatch
from openchair.body.landmarks import REGION_NAMES
from openchair.body.model import BodyParams, BodyParamsError, make_body
from openchair.cli.app import _register_commands, app
from openchair.hardware.twin import TwinChair
from openchair.safety.limits import (
    BODY_MAP_COMFORT_FORCE_N,
    BODY_MAP_COMFORTABLE_DEPTH_MM,
    BODY_MAP_SHOULDER_Y_MM,
)
from openchair.safety.mapcheck import (
    bounded_without_pass,
    bounds_problem,
    compare_maps,
    map_bounds_problem,
)
from openchair.scan.estimate import comfort_force_defaults
from openchair.scan.run import run_scan, save_map
from openchair.verify.corners import corner_population


def _body(
    stature_mm: float, bmi: float, sex: str, curves: tuple[float, float], soft: float, seed: int
) -> BodyParams:
    mass = min(max(bmi * (stature_mm / 1000.0) ** 2, 35.0), 200.0)
    return BodyParams(
        stature_mm=stature_mm,
        mass_kg=mass,
        sex=sex,  # type: ignore[arg-type]
        lordosis=curves[0],
        kyphosis=curves[1],
        tissue_softness=soft,
        seed=seed,
    )


bodies = st.builds(
    _body,
    st.floats(1400, 2050),
    st.floats(15, 45),
    st.sampled_from(["female", "male"]),
    st.tuples(st.floats(0.3, 2.0), st.floats(0.3, 2.0)),
    st.floats(0.5, 2.0),
    st.integers(0, 10_000),
)


@settings(max_examples=60, deadline=None)
@given(bodies)
def test_every_body_the_model_can_make_is_inside_the_bounds(params: BodyParams) -> None:
    try:
        body = make_body(params)
    except BodyParamsError:
        return  # a body the chair does not fit (neck off the track, an impossible BMI)
    assert map_bounds_problem(body.to_map()) is None


def test_the_corners_of_the_population_are_inside_the_bounds() -> None:
    fitting = []
    for p in corner_population(0):
        try:
            make_body(p)
        except BodyParamsError:
            continue
        fitting.append(p)
    maps = BodyBatch.from_params(fitting).true_maps()
    assert [bounds_problem(maps, i) for i in range(maps.batch_size)] == [None] * len(fitting)


@cache
def scanned() -> BodyMapBatch:
    """What the chair's own scan finds for a small woman and a tall man."""
    people = [
        BodyParams.from_percentile(5, "female", seed=1),
        BodyParams.from_percentile(95, "male"),
    ]
    return run_scan(TwinChair(BodyBatch.from_params(people), seeds=[1, 2])).maps()


def test_the_scans_own_maps_are_inside_the_bounds() -> None:
    maps = scanned()
    assert bounds_problem(maps, 0) is None and bounds_problem(maps, 1) is None


def _average_map() -> BodyMap:
    return BodyBatch.from_params([BodyParams.from_percentile(50, "male")]).true_maps().map_at(0)


@settings(max_examples=80, deadline=None)
@given(
    region=st.sampled_from(REGION_NAMES),
    field=st.sampled_from(["depth", "force"]),
    above=st.booleans(),
    beyond=st.floats(0.01, 500.0),
)
def test_any_value_outside_its_bound_is_refused_naming_it(
    region: str, field: str, above: bool, beyond: float
) -> None:
    m = _average_map()
    table = BODY_MAP_COMFORTABLE_DEPTH_MM if field == "depth" else BODY_MAP_COMFORT_FORCE_N
    lo, hi = table[region]
    value = hi + beyond if above else lo - beyond
    if field == "depth":
        m = dataclasses.replace(m, comfortable_depth_mm={**m.comfortable_depth_mm, region: value})
    else:
        m = dataclasses.replace(m, comfort_force_n={**m.comfort_force_n, region: value})
    why = map_bounds_problem(m)
    assert why is not None and region in why and f"{lo:g}..{hi:g}" in why


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-900, 900))
def test_landmarks_off_a_human_back_are_refused(shift: float) -> None:
    m = _average_map()
    y = m.landmarks_y_mm["shoulder"] + shift
    moved = dataclasses.replace(m, landmarks_y_mm={**m.landmarks_y_mm, "shoulder": y})
    c7 = m.landmarks_y_mm["C7"]
    inside = BODY_MAP_SHOULDER_Y_MM[0] <= y <= BODY_MAP_SHOULDER_Y_MM[1] and 0 <= c7 - y <= 130
    assert (map_bounds_problem(moved) is None) == inside


def test_the_forged_map_of_the_issue_is_refused_by_the_pass_too() -> None:
    """Every depth 120 mm, every force 150 N: out of bounds, whatever the pass finds."""
    m = _average_map()
    forged = dataclasses.replace(
        m,
        comfortable_depth_mm=dict.fromkeys(REGION_NAMES, 120.0),
        comfort_force_n=dict.fromkeys(REGION_NAMES, 150.0),
    )
    saved = BodyMapBatch.from_maps([forged])
    check = compare_maps(saved, saved)
    assert not check.ok and "a human body has" in str(check.mismatch[0])


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(0.1, 1.0))
def test_a_map_used_without_a_pass_never_asks_more_force_than_a_scan(scale: float) -> None:
    m = _average_map()
    robust = dataclasses.replace(
        m,
        comfort_force_n={r: BODY_MAP_COMFORT_FORCE_N[r][1] * scale for r in REGION_NAMES},
    )
    bounded = bounded_without_pass(robust)
    assumed = comfort_force_defaults()
    for r in REGION_NAMES:
        assert bounded.comfort_force_n[r] <= assumed[r]
        assert bounded.comfort_force_n[r] <= robust.comfort_force_n[r]
    assert bounded.comfortable_depth_mm == robust.comfortable_depth_mm


def test_run_refuses_a_forged_map_file_before_any_scan(tmp_path: Path) -> None:
    m = _average_map()
    path = tmp_path / "forged.json"
    save_map(dataclasses.replace(m, comfort_force_n=dict.fromkeys(REGION_NAMES, 150.0)), path)
    _register_commands()
    result = CliRunner().invoke(app, ["run", "quick", "--body-map", str(path)])
    assert result.exit_code == 1
    assert "cannot be used" in result.output and "a human body has" in result.output
    assert "Traceback" not in result.output


def test_the_bounds_table_in_the_docs_matches_limits_py() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "SAFETY.md").read_text()
    for region in REGION_NAMES:
        d, f = BODY_MAP_COMFORTABLE_DEPTH_MM[region], BODY_MAP_COMFORT_FORCE_N[region]
        row = f"| {region} | {d[0]:g}..{d[1]:g} | {f[0]:g}..{f[1]:g} |"
        assert row in doc, row
