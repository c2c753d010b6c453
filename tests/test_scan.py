"""The body scan: accurate on ordinary bodies, clear about awkward cases, gentle, contract-only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX, LANDMARKS
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.hardware.contract import ChairDescription, Commands, Readings
from openchair.hardware.twin import TwinChair, TwinFault
from openchair.safety.limits import DEFAULT_LIMITS as LIM
from openchair.scan import ScanOutcome, ScanResult, load_map, nudge_shoulder, run_scan, save_map
from openchair.scan.run import SCAN_COMFORT_FORCE_N

PEOPLE = [
    BodyParams.from_percentile(1, "female", seed=1),
    BodyParams.from_percentile(50, "female", seed=2),
    BodyParams.from_percentile(50, "male", seed=3),
    BodyParams.from_percentile(99, "male", seed=4),
    BodyParams(stature_mm=1700, mass_kg=95, sex="male", lordosis=1.5, kyphosis=1.4, seed=5),
]


@cache
def scanned() -> tuple[ScanResult, BodyBatch, TwinChair]:
    bodies = BodyBatch.from_params(PEOPLE)
    twin = TwinChair(bodies, seeds=list(range(len(PEOPLE))))
    return run_scan(twin), bodies, twin


def test_scan_finds_shoulders_and_landmarks_within_tolerance_in_under_20_s() -> None:
    result, bodies, _ = scanned()
    assert result.ok and result.duration_s < LIM.scan_duration_max_s
    for i, chair in enumerate(result.chairs):
        assert chair.body_map is not None and chair.body_map.source == "scan"
        truth = bodies.landmarks_y_mm[i]
        shoulder = chair.body_map.landmarks_y_mm["shoulder"]
        assert abs(shoulder - truth[LANDMARK_INDEX["shoulder"]]) < 12
        for name in ("S1", "L3", "L1", "T7"):
            assert abs(chair.body_map.landmarks_y_mm[name] - truth[LANDMARK_INDEX[name]]) < 25, name
        # C7 is the scan's least certain landmark (docs/SCAN.md): the strongly curved back of
        # the last person (lordosis 1.5, kyphosis 1.4) is out of the rollers' reach above
        # 690 mm, and the back template puts C7 26 mm low there (the hollow alone: 12 mm low).
        assert abs(chair.body_map.landmarks_y_mm["C7"] - truth[LANDMARK_INDEX["C7"]]) < 30


def test_very_small_and_very_tall_people_at_the_ends_of_the_track() -> None:
    result, _, _ = scanned()
    small, tall = result.chairs[0], result.chairs[3]
    assert small.outcome is ScanOutcome.OK and tall.outcome is ScanOutcome.OK
    assert tall.body_map is not None and small.body_map is not None
    assert tall.body_map.landmarks_y_mm["C7"] - small.body_map.landmarks_y_mm["C7"] > 100


def test_comfortable_depths_are_cautious_against_the_truth() -> None:
    result, bodies, _ = scanned()
    truth = bodies.true_maps()
    for i, chair in enumerate(result.chairs):
        assert chair.body_map is not None
        for region in ("lumbar", "upper-back"):
            scanned_depth = chair.body_map.comfortable_depth_mm[region]
            assert 20 <= scanned_depth <= 120
            # Within reach of the truth: personalization, not a fixed number.
            assert abs(scanned_depth - truth.region_depth_mm(region)[i]) < 40


def test_the_scan_is_gentle() -> None:
    bodies = BodyBatch.from_params(PEOPLE[:3])
    twin = TwinChair(bodies)
    peak = np.zeros(3)
    original_read = twin.read

    def watched_read(now_s: float) -> Readings:
        nonlocal peak
        r = original_read(now_s)
        t = twin.truth
        peak = np.maximum(peak, np.maximum(t.force_left_n, t.force_right_n))
        return r

    twin.read = watched_read  # type: ignore[method-assign]
    run_scan(twin)
    assert np.all(peak <= SCAN_COMFORT_FORCE_N + 10)


def test_nobody_seated_and_leaning_forward_have_clear_outcomes() -> None:
    bodies = BodyBatch.from_params(PEOPLE[:3])
    twin = TwinChair(bodies)
    twin.inject(TwinFault.OCCUPANT_LEAVES, chairs=0)
    twin.inject(TwinFault.OCCUPANT_LEANS_FORWARD, chairs=1)
    result = run_scan(twin)
    assert [c.outcome for c in result.chairs] == [
        ScanOutcome.NOBODY_SEATED,
        ScanOutcome.LEANING_FORWARD,
        ScanOutcome.OK,
    ]
    assert "sit back" in result.chairs[0].message and "lean back" in result.chairs[1].message
    with pytest.raises(ValueError, match="no body map for chair"):
        result.maps()


class NoShoulderSignal:
    """A chair whose shoulder sensor never triggers (a broken sensor or a slouch)."""

    def __init__(self, inner: TwinChair) -> None:
        self.inner = inner

    @property
    def description(self) -> ChairDescription:
        return self.inner.description

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    def open(self) -> None:
        self.inner.open()

    def read(self, now_s: float) -> Readings:
        r = self.inner.read(now_s)
        r.shoulder_sensor = np.zeros_like(r.shoulder_sensor)
        return r

    def write(self, commands: Commands, now_s: float) -> None:
        self.inner.write(commands, now_s)

    def close(self) -> None:
        self.inner.close()


def test_a_shoulder_sensor_that_never_triggers_is_reported() -> None:
    twin = TwinChair(BodyBatch.from_params(PEOPLE[2:3]))
    result = run_scan(NoShoulderSignal(twin))
    assert result.chairs[0].outcome is ScanOutcome.NO_SHOULDER_SIGNAL
    assert "shoulder sensor never triggered" in result.chairs[0].message


def test_the_scan_sees_only_readings() -> None:
    import inspect

    from openchair.scan import routine

    source = inspect.getsource(routine)
    assert "truth" not in source and "bodies" not in source


def test_shoulder_nudges_and_saved_maps(tmp_path: Path) -> None:
    result, _, _ = scanned()
    m = result.chairs[2].body_map
    assert m is not None
    up = nudge_shoulder(m, 10.0)
    assert up.landmarks_y_mm["shoulder"] == pytest.approx(m.landmarks_y_mm["shoulder"] + 10)
    assert up.landmarks_y_mm["C7"] == pytest.approx(m.landmarks_y_mm["C7"] + 10)
    assert up.landmarks_y_mm["L3"] == m.landmarks_y_mm["L3"]
    path = tmp_path / "me.json"
    save_map(m, path)
    assert load_map(path) == m
    path.write_text(json.dumps({"format": "openchair body map 1", "landmarks_y_mm": {}}))
    with pytest.raises(ValueError, match="incomplete or damaged"):
        load_map(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not a body map file"):
        load_map(path)


def test_scan_cli_prints_the_map_and_its_error_against_the_truth(tmp_path: Path) -> None:
    _register_commands()
    out_file = tmp_path / "map.json"
    result = CliRunner().invoke(
        app, ["scan", "--body", "percentile=20,sex=female", "--json", "--save", str(out_file)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["outcome"] == "ok" and set(data["landmarks_y_mm"]) == set(LANDMARKS)
    assert abs(data["error_mm"]["shoulder"]) < 12
    assert load_map(out_file).source == "scan"
    result = CliRunner().invoke(app, ["scan", "--fault", "occupant_leaves"])
    assert result.exit_code == 1 and "nobody is seated" in result.output


def test_marked_tight_spots_are_mostly_real() -> None:
    from openchair.body.population import sample_population

    people = sample_population(30, np.random.default_rng(3))
    bodies = BodyBatch.from_params(people)
    result = run_scan(TwinChair(bodies))
    marked = real = 0
    for i, chair in enumerate(result.chairs):
        assert chair.body_map is not None
        truth = [s.y_mm for s in bodies.bodies[i].tight_spots]
        for y in chair.body_map.tight_spots_y_mm:
            marked += 1
            real += any(abs(y - t) <= 30 for t in truth)
    assert marked >= 20 and real / marked >= 0.7


def test_a_saved_map_keeps_the_back_profile_and_an_older_map_without_one_loads(
    tmp_path: Path,
) -> None:
    result = run_scan(TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")])))
    m = result.chairs[0].body_map
    assert m is not None and len(m.contact_depth_mm) > 100
    path = tmp_path / "map.json"
    save_map(m, path)
    assert load_map(path).contact_depth_mm == m.contact_depth_mm
    data = json.loads(path.read_text())
    del data["contact_depth_mm"]
    path.write_text(json.dumps(data))
    assert load_map(path).contact_depth_mm == ()
    data["contact_depth_mm"] = [[100.0, float("nan")]]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="not a number"):
        load_map(path)
