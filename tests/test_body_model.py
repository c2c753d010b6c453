"""The seated body: landmarks, back shape, tissue, thresholds, population and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARKS, SPINE_LANDMARKS
from openchair.body.model import GRID_Y_MM, Body, BodyParams, BodyParamsError, make_body
from openchair.body.population import sample_population


def test_spine_landmarks_run_upwards_and_shoulders_sit_between_t1_and_c7_region() -> None:
    body = make_body(BodyParams.from_percentile(50, "male"))
    ys = [body.landmarks_y_mm[n] for n in SPINE_LANDMARKS]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    lm = body.landmarks_y_mm
    assert lm["seat_crease"] == 0.0
    assert 100 < lm["S1"] < 180
    assert lm["T8"] < lm["scapula_tip"] + 25 and lm["scapula_tip"] < lm["T6"] + 25
    assert lm["T4"] < lm["shoulder"] < lm["C7"]
    # Survey: cervicale height sitting of an average man is about 664 mm.
    assert lm["C7"] == pytest.approx(664, abs=30)


def test_landmarks_scale_with_stature() -> None:
    small = make_body(BodyParams.from_percentile(5, "female"))
    tall = make_body(BodyParams.from_percentile(95, "male"))
    for name in ("S1", "L1", "T7", "C7", "shoulder"):
        assert tall.landmarks_y_mm[name] > small.landmarks_y_mm[name]
    assert tall.landmarks_y_mm["shoulder"] - small.landmarks_y_mm["shoulder"] > 80


def test_same_seed_same_body_other_seed_other_details() -> None:
    a = make_body(BodyParams(stature_mm=1700, mass_kg=70, sex="female", seed=4))
    b = make_body(BodyParams(stature_mm=1700, mass_kg=70, sex="female", seed=4))
    c = make_body(BodyParams(stature_mm=1700, mass_kg=70, sex="female", seed=5))
    assert a.landmarks_y_mm == b.landmarks_y_mm and a.tight_spots == b.tight_spots
    assert np.array_equal(a.stiffness_scale, b.stiffness_scale)
    assert a.tight_spots != c.tight_spots


def test_back_gap_is_deepest_in_the_lumbar_hollow_and_grows_with_lordosis() -> None:
    body = make_body(BodyParams(stature_mm=1756, mass_kg=75, sex="male"))
    lm = body.landmarks_y_mm

    def gap_at(b: Body, y: float) -> float:
        return float(np.interp(y, GRID_Y_MM, b.back_gap_mm))

    assert gap_at(body, lm["L3"]) > gap_at(body, lm["T7"]) + 15
    assert gap_at(body, lm["L3"]) > gap_at(body, lm["S1"] - 60)
    curved = make_body(BodyParams(stature_mm=1756, mass_kg=75, sex="male", lordosis=1.6))
    assert gap_at(curved, lm["L3"]) > gap_at(body, lm["L3"]) + 10


def test_roller_force_zero_before_contact_then_rises_faster_than_linearly() -> None:
    batch = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    y = np.array([batch.bodies[0].landmarks_y_mm["L3"]])
    gap = float(batch.at(batch.back_gap_mm, y)[0])
    f = [float(batch.roller_force_n(y, np.array([gap + c]), 0)[0]) for c in (-5, 0, 20, 40, 60)]
    assert f[0] == 0.0 and f[1] == 0.0
    assert 0 < f[2] < f[3] < f[4]
    assert f[4] - f[3] > f[3] - f[2]


def test_stiffer_at_tight_spots_and_with_less_softness() -> None:
    one_sided = [
        (body, spot)
        for seed in range(20)
        for body in [make_body(BodyParams.from_percentile(50, "male", seed=seed))]
        for spot in body.tight_spots
        if spot.side != "both"
    ]
    assert one_sided
    # The other side at the same height has the same tissue but (usually) no spot.
    ratios = [
        body.stiffness_scale[i, c] / body.stiffness_scale[i, 1 - c]
        for body, spot in one_sided
        for c in [0 if spot.side == "left" else 1]
        for i in [int(np.argmin(np.abs(GRID_Y_MM - spot.y_mm)))]
    ]
    assert np.median(ratios) > 1.5
    soft = make_body(BodyParams(stature_mm=1756, mass_kg=80, sex="male", tissue_softness=1.5))
    hard = make_body(BodyParams(stature_mm=1756, mass_kg=80, sex="male", tissue_softness=0.7))
    assert np.all(soft.stiffness_scale < hard.stiffness_scale)


def test_pain_threshold_lower_beside_the_spine_and_lower_for_women_on_average() -> None:
    body = make_body(BodyParams.from_percentile(50, "female"))
    assert np.all(body.pain_threshold_paraspinal_n < body.pain_threshold_spine_n)
    people = sample_population(200, np.random.default_rng(1))
    women = [make_body(p).region_ppt_n["lumbar"] for p in people if p.sex == "female"]
    men = [make_body(p).region_ppt_n["lumbar"] for p in people if p.sex == "male"]
    assert np.mean(women) < 0.85 * np.mean(men)


def test_comfort_stays_under_the_hard_limits() -> None:
    for p in sample_population(100, np.random.default_rng(2)):
        m = make_body(p).to_map()
        assert all(0 < f <= 150 for f in m.comfort_force_n.values())
        assert m.comfort_force_n["neck"] <= 40
        assert all(0 < d <= 120 for d in m.comfortable_depth_mm.values())


def test_population_spans_small_women_to_tall_men() -> None:
    people = sample_population(1000, np.random.default_rng(0))
    statures = np.array([p.stature_mm for p in people])
    women = sum(p.sex == "female" for p in people)
    assert 430 < women < 570
    assert statures.min() < 1520 and statures.max() > 1880
    assert 60 < np.std(statures) < 110
    assert len({p.seed for p in people}) > 990
    # Deterministic for the generator's seed.
    assert sample_population(5, np.random.default_rng(9)) == sample_population(
        5, np.random.default_rng(9)
    )


def test_percentiles_are_monotone() -> None:
    statures = [BodyParams.from_percentile(p, "male").stature_mm for p in (1, 5, 50, 95, 99)]
    assert statures == sorted(statures)
    assert BodyParams.from_percentile(50, "female").stature_mm == pytest.approx(1629, abs=1)


def test_batch_lookups_match_single_bodies() -> None:
    params = [BodyParams.from_percentile(5, "female"), BodyParams.from_percentile(95, "male")]
    batch = BodyBatch.from_params(params)
    y = np.array([201.3, 455.0])
    depth = np.array([70.0, 70.0])
    for i, p in enumerate(params):
        single = BodyBatch.from_params([p])
        assert (
            batch.roller_force_n(y, depth, 1)[i]
            == single.roller_force_n(y[i : i + 1], depth[i : i + 1], 1)[0]
        )
    maps = batch.true_maps()
    assert maps.landmarks_y_mm.shape == (2, len(LANDMARKS))
    assert maps.map_at(1) == make_body(params[1]).to_map()


@given(
    stature=st.floats(allow_nan=True, allow_infinity=True),
    mass=st.floats(allow_nan=True, allow_infinity=True),
    lordosis=st.floats(allow_nan=True, allow_infinity=True),
)
def test_any_impossible_parameter_gives_a_clear_body_error(
    stature: float, mass: float, lordosis: float
) -> None:
    try:
        BodyParams(stature_mm=stature, mass_kg=mass, sex="male", lordosis=lordosis)
    except BodyParamsError as err:
        assert any(k in str(err) for k in ("stature_mm", "mass_kg", "lordosis"))


def test_bad_parameters_name_the_field_and_range() -> None:
    with pytest.raises(BodyParamsError, match=r"stature_mm: 900 is outside 1300..2100"):
        BodyParams(stature_mm=900, mass_kg=60, sex="female")
    with pytest.raises(BodyParamsError, match="sex: 'other'"):
        BodyParams(stature_mm=1700, mass_kg=60, sex="other")  # type: ignore[arg-type]
    with pytest.raises(BodyParamsError, match="body-mass index"):
        BodyParams(stature_mm=2000, mass_kg=40, sex="male")
    with pytest.raises(BodyParamsError, match="percentile"):
        BodyParams.from_percentile(100, "male")
