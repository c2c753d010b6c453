"""Bodies built from measured persons: landmarks where the measures put them, a sane fill-in,
clear errors, the ANSUR sampler, and the scan measured against such bodies."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.compare import compare, fill_in_spread
from openchair.body.landmarks import LANDMARK_INDEX, SPINE_LANDMARKS
from openchair.body.measured import (
    SEATED_ANCHORS,
    full_measures,
    params_from_measures,
    seated_anchors_mm,
)
from openchair.body.model import BodyParams, BodyParamsError, make_body
from openchair.body.population import ANSUR_PLACING_MEASURES, sample, sample_ansur
from openchair.body.survey import MEASURES, load_survey, seated_height_mm
from openchair.cli.app import _register_commands, app
from openchair.cli.body_spec import parse_body
from openchair.hardware.twin import TwinChair
from openchair.programs import parse_program
from openchair.scan import ScanResult, run_scan
from openchair.verify.runner import verify

PLACING = ("stature", "weightkg", *ANSUR_PLACING_MEASURES)


def _persons(sex: str, n: int, seed: int) -> list[dict[str, float]]:
    s = load_survey()[sex]  # type: ignore[index]
    rng = np.random.default_rng(seed)
    return [s.person(int(i)) for i in rng.choice(len(s.subjects), n, replace=False)]


@pytest.mark.parametrize("sex", ["female", "male"])
def test_landmarks_sit_where_the_persons_own_measures_put_them(sex: str) -> None:
    for person in _persons(sex, 25, seed=1):
        params = params_from_measures(sex, {k: person[k] for k in PLACING})  # type: ignore[arg-type]
        lm = make_body(params).landmarks_y_mm
        for landmark, column in SEATED_ANCHORS.items():
            assert lm[landmark] == pytest.approx(seated_height_mm(person, column), abs=0.1)
        spine = [lm[n] for n in SPINE_LANDMARKS]
        assert all(b > a for a, b in itertools.pairwise(spine))
        assert 40.0 < lm["S1"] < lm["L4"] and lm["shoulder"] < lm["C7"]


def test_a_person_of_the_file_is_a_plausible_body_with_every_measure_given() -> None:
    for sex in ("female", "male"):
        for person in _persons(sex, 10, seed=2):
            params = params_from_measures(sex, person)
            assert full_measures(params) == pytest.approx(person)


def test_fill_in_returns_the_given_values_and_the_mean_when_nothing_is_given() -> None:
    s = load_survey()["female"]
    assert s.condition({}) == pytest.approx(dict(zip(MEASURES, s.mean, strict=True)))
    filled = s.condition({"stature": 1560.0, "sittingheight": 803.0})
    assert filled["stature"] == 1560.0 and filled["sittingheight"] == 803.0
    # A shorter woman than average: her other heights are filled in lower than the average.
    assert filled["acromialheight"] < s.mean[MEASURES.index("acromialheight")]


@pytest.mark.parametrize("sex", ["female", "male"])
def test_fill_in_from_stature_and_sitting_height_is_within_its_stated_spread(sex: str) -> None:
    given = ("stature", "sittingheight")
    spread = dict(next(sds for s, g, sds in fill_in_spread() if s == sex and g == given))
    errors: dict[str, list[float]] = {k: [] for k in SEATED_ANCHORS}
    for person in _persons(sex, 200, seed=3):
        params = params_from_measures(sex, {k: person[k] for k in given})  # type: ignore[arg-type]
        # Only the given measures (and the rounded stature and mass) reach the body.
        assert {n for n, _ in params.measures} == {"sittingheight"}
        anchors = seated_anchors_mm(full_measures(params))
        for lm, column in SEATED_ANCHORS.items():
            errors[lm].append(anchors[lm] - seated_height_mm(person, column))
    for lm, e in errors.items():
        err = np.asarray(e)
        assert abs(err.mean()) < 0.4 * spread[lm], lm  # unbiased
        assert 0.7 * spread[lm] < err.std() < 1.3 * spread[lm], lm  # spread as stated
    # Knowing more narrows the fill-in: the shoulder once the acromion is measured.
    more = next(
        sds
        for s, g, sds in fill_in_spread()
        if s == sex and g == ("stature", "sittingheight", "acromialheight")
    )
    assert more["shoulder"] < 1.0 < spread["shoulder"]


@pytest.mark.parametrize(
    ("measures", "message"),
    [
        ({"stature": 1600.0, "shoesize": 40.0}, "shoesize: not a survey measure"),
        ({"sittingheight": 1500.0}, "sittingheight: 1500 mm is implausible"),
        ({"weightkg": float("nan")}, "weightkg: nan is not a number"),
        ({"stature": 1600.0, "cervicaleheight": 1700.0}, "is not below stature"),
        ({"stature": 1600.0, "sittingheight": 1610.0}, "implausible"),
        (
            {"stature": 1560.0, "acromialheight": 1282.0, "cervicaleheight": 1182.0},
            "cervicaleheight: 1182 does not fit the other measures",
        ),
    ],
)
def test_unknown_or_implausible_measures_are_clear_errors(
    measures: dict[str, float], message: str
) -> None:
    with pytest.raises(BodyParamsError, match=message):
        params_from_measures("female", measures)


def test_measures_given_directly_are_checked_too() -> None:
    with pytest.raises(BodyParamsError, match="stature: give it as the stature_mm field"):
        BodyParams(1600, 60, "female", measures=(("stature", 1600.0),))
    with pytest.raises(BodyParamsError, match="given twice"):
        BodyParams(
            1600, 60, "female", measures=(("sittingheight", 840.0), ("sittingheight", 841.0))
        )
    with pytest.raises(BodyParamsError, match="mass_kg"):
        params_from_measures("male", {"stature": 1750.0, "weightkg": 20.0})
    # Each measure plausible, together they put the neck beyond the roller track.
    with pytest.raises(BodyParamsError, match="C7 850 mm above the seat, beyond the roller track"):
        params_from_measures(
            "male", {"stature": 2000.0, "sittingheight": 1100.0, "cervicaleheight": 1750.0}
        )


def test_body_spec_takes_measures_and_replays_a_measured_body() -> None:
    p = parse_body("sex=female,stature=1560,sittingheight=803,acromialheight=1282,weightkg=65.7")
    assert p.stature_mm == 1560 and p.mass_kg == 65.7
    assert dict(p.measures) == {"sittingheight": 803.0, "acromialheight": 1282.0}
    assert make_body(p).landmarks_y_mm["shoulder"] == pytest.approx(803 - (1560 - 1282), abs=0.1)
    assert parse_body(p.describe()) == p
    # Stature and mass filled in when not given, and the replay is the same body.
    q = parse_body("sex=male,sittingheight=950,seed=3,lordosis=1.2")
    assert q.stature_mm > 1756 and parse_body(q.describe()) == q


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sex=female,shoesize=40", "expected key=value"),
        ("sex=female,sittingheight=abc", "sittingheight: 'abc' is not a number"),
        ("percentile=5,sittingheight=900", "either percentile or a person's measures"),
        ("sex=male,sittingheight=500", "implausible"),
        ("sex=male,mass=80,weightkg=80,sittingheight=900", "mass is given twice"),
    ],
)
def test_body_spec_errors_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(typer.BadParameter, match=message):
        parse_body(spec)


def test_ansur_sampler_draws_distinct_persons_reproducibly() -> None:
    a = sample_ansur(60, np.random.default_rng(7))
    assert a == sample_ansur(60, np.random.default_rng(7))
    assert len({p.describe() for p in a}) == 60
    assert 15 < sum(p.sex == "female" for p in a) < 45
    assert all({n for n, _ in p.measures} == set(ANSUR_PLACING_MEASURES) for p in a)
    assert sample("parametric", 3, np.random.default_rng(0))[0].measures == ()
    with pytest.raises(ValueError, match="not one of parametric, ansur"):
        sample("census", 3, np.random.default_rng(0))


def test_survey_side_by_side_matches_the_datas_own_summary() -> None:
    rows = {(r.sex, r.what): r for r in compare(n_model=200)}
    # The data's README: seated shoulder 603 ± 31 mm (men), 563 ± 28 mm (women).
    assert rows[("male", "shoulder")].survey.mean == pytest.approx(603, abs=1.5)
    assert rows[("female", "shoulder")].survey.sd == pytest.approx(28, abs=1.5)
    # The stature-scaled model spreads the lumbar spine about half as much as real people.
    assert rows[("male", "L4")].model.sd < 0.7 * rows[("male", "L4")].survey.sd


def test_cli_compare_survey_and_body_option() -> None:
    _register_commands()
    out = CliRunner().invoke(app, ["body", "--compare-survey"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    assert "survey" in out.output and "L4" in out.output
    out = CliRunner().invoke(
        app, ["body", "--body", "sex=female,stature=1560,sittingheight=803,acromialheight=1282"]
    )
    assert out.exit_code == 0, out.output
    assert "525" in out.output  # the shoulder: 803 - (1560 - 1282)
    out = CliRunner().invoke(app, ["body", "--body", "sex=female,sittingheight=2000"])
    assert out.exit_code == 2 and "implausible" in out.output


def test_verify_rejects_an_unknown_population_before_any_work() -> None:
    _register_commands()
    out = CliRunner().invoke(app, ["verify", "--population", "census", "--bodies", "1"])
    assert out.exit_code == 2 and "parametric, ansur" in out.output


SCANNED_PERSONS = 8


@cache
def _scanned_measured() -> tuple[ScanResult, ScanResult, BodyBatch]:
    people = sample_ansur(SCANNED_PERSONS, np.random.default_rng(11))
    bodies = BodyBatch.from_params(people)
    seeds = list(range(SCANNED_PERSONS))
    hollow = run_scan(TwinChair(bodies, seeds=seeds))
    shoulder_only = run_scan(TwinChair(bodies, seeds=seeds), lumbar_from_hollow=False)
    return hollow, shoulder_only, bodies


def _errors(result: ScanResult, bodies: BodyBatch, name: str) -> np.ndarray:
    assert result.ok
    got = np.array([c.body_map.landmarks_y_mm[name] for c in result.chairs])  # type: ignore[union-attr]
    return np.abs(got - bodies.landmarks_y_mm[:, LANDMARK_INDEX[name]])


def test_scan_places_the_lumbar_spine_of_measured_persons() -> None:
    hollow, shoulder_only, bodies = _scanned_measured()
    assert np.all(_errors(hollow, bodies, "shoulder") < 12)
    for name in ("S1", "L3", "L1"):
        err = _errors(hollow, bodies, name)
        assert np.median(err) < 10 and err.max() < 40, name
    # The lumbar hollow places the lumbar spine better than the shoulder line alone.
    for name in ("S1", "L3"):
        assert _errors(hollow, bodies, name).mean() < _errors(shoulder_only, bodies, name).mean()


def test_bodies_of_the_file_all_build_and_fit_the_track() -> None:
    """Every measured person of the file (both sexes) makes a body whose landmarks are on the
    track and in anatomical order, so none is refused by the sampler."""
    survey = load_survey()
    for sex in ("female", "male"):
        s = survey[sex]
        sh = s.values[:, MEASURES.index("sittingheight")]
        st = s.values[:, MEASURES.index("stature")]
        seated = {
            lm: sh - (st - s.values[:, MEASURES.index(col)]) for lm, col in SEATED_ANCHORS.items()
        }
        assert np.all(seated["L4"] > 100) and np.all(seated["C7"] < 800)
        assert np.all(seated["shoulder"] < seated["C7"])


LUMBAR_KNEAD = """
name = "Lumbar knead"
description = "A roll down the back, then kneading on the lumbar."
minutes = 0.75

[[step]]
seconds = 15
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3

[[step]]
seconds = 30
technique = "knead"
zone = "lumbar"
depth = 0.8
"""


def test_verification_on_measured_persons_records_the_source_and_replays_them() -> None:
    program = parse_program(LUMBAR_KNEAD, "lumbar-knead.toml")
    result = verify([program], 3, seed=4, workers=1, population_source="ansur")
    assert result.ok, result.to_dict()
    assert result.to_dict()["population"] == "ansur"
    assert all(p.measures for p in result.population)
    replay = result.replay_command("lumbar-knead", 0)
    assert "iliocristaleheight=" in replay
    spec = replay.split("--body ")[1].split(" ")[0]
    assert parse_body(spec) == result.population[0]
