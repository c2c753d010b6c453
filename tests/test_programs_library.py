"""Each built-in program keeps the promise of its description, on small and tall bodies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.hardware.contract import ChairDescription
from openchair.programs import ProgramLibrary, compile_program
from openchair.programs.compiler import comfortable_depth_grid, zone_bounds_mm

DESC = ChairDescription()
BODIES = [
    BodyParams.from_percentile(5, "female", seed=1),
    BodyParams.from_percentile(95, "male", seed=2),
]
MINUTES = {
    "deep-tissue": 15,
    "mindfulness": 15,
    "lumbar": 12,
    "stretch": 15,
    "heated-back": 15,
    "quick": 7,
    "after-office": 20,
}


@cache
def maps() -> BodyMapBatch:
    return BodyBatch.from_params(BODIES).true_maps()


@dataclass(frozen=True)
class Trace:
    """Setpoints sampled every 0.5 s: arrays of (T, N) or (T, N, columns)."""

    t_s: np.ndarray
    y: np.ndarray
    depth: np.ndarray
    width: np.ndarray
    knead: np.ndarray
    tap: np.ndarray
    air: np.ndarray
    heat: np.ndarray
    backrest: np.ndarray
    legrest: np.ndarray
    comfortable: np.ndarray


@cache
def trace(program_id: str) -> Trace:
    program = ProgramLibrary(user_dir=None).get(program_id)
    m = maps()
    compiled = compile_program(program, m, DESC)
    grid = comfortable_depth_grid(m)
    ticks = range(0, compiled.n_ticks, 50)
    frames = [compiled.setpoints_at(k) for k in ticks]
    for f in frames:
        f.validate(DESC)
    y = np.array([f.carriage_y_target_mm for f in frames])
    from openchair.body.model import GRID_Y_MM

    comfortable = np.stack(
        [np.interp(y[:, i], GRID_Y_MM, grid[i]) for i in range(m.batch_size)], axis=1
    )
    return Trace(
        t_s=np.array(list(ticks)) * compiled.tick_s,
        y=y,
        depth=np.array([f.depth_target_mm for f in frames]),
        width=np.array([f.width_target_mm for f in frames]),
        knead=np.array([f.knead_speed_cpm for f in frames]),
        tap=np.array([f.tap_rate_hz for f in frames]),
        air=np.array([f.air_pressure_target_kpa for f in frames]),
        heat=np.array([f.heater_target_c for f in frames]),
        backrest=np.array([f.backrest_angle_target_deg for f in frames]),
        legrest=np.array([f.legrest_angle_target_deg for f in frames]),
        comfortable=comfortable,
    )


def share_in(t: Trace, zone: str, body: int, working_only: bool = True) -> float:
    lo, hi = zone_bounds_mm(zone, maps())
    inside = (t.y[:, body] >= lo[body] - 1) & (t.y[:, body] <= hi[body] + 1)
    if working_only:
        working = t.depth[:, body] > 0
        return float(np.mean(inside[working]))
    return float(np.mean(inside))


def air_cols(*names: str) -> list[int]:
    return [DESC.air_zone_index(n) for n in names]


@pytest.mark.parametrize("program_id", sorted(MINUTES))
def test_every_builtin_loads_with_its_advertised_length(program_id: str) -> None:
    program = ProgramLibrary(user_dir=None).get(program_id)
    assert program.minutes == MINUTES[program_id]
    assert program.total_seconds() == pytest.approx(MINUTES[program_id] * 60)
    t = trace(program_id)
    # Depth never beyond the person's comfortable depth where the rollers are.
    assert np.all(t.depth <= t.comfortable + 1e-6)


@pytest.mark.parametrize("body", [0, 1])
def test_deep_tissue_reaches_the_comfortable_depth_on_the_paraspinal_lines(body: int) -> None:
    t = trace("deep-tissue")
    assert np.max(t.depth[:, body] / t.comfortable[:, body]) == pytest.approx(1.0, abs=0.01)
    assert np.mean((t.width[:, body] >= 50) & (t.width[:, body] <= 90)) == 1.0
    lingering = share_in(t, "lumbar", body) + share_in(t, "upper-back", body)
    assert lingering > 0.6
    assert np.mean(t.knead[:, body] > 0) > 0.3


def test_deep_tissue_goes_to_120_mm_where_the_person_takes_it() -> None:
    # A body map (as a scan may report it) whose back takes the chair's full 120 mm.
    m = BodyBatch.from_params([BODIES[1]]).true_maps()
    m = BodyMapBatch(
        m.landmarks_y_mm, np.full_like(m.comfortable_depth_mm, 120.0), m.comfort_force_n
    )
    compiled = compile_program(ProgramLibrary(user_dir=None).get("deep-tissue"), m, DESC)
    depth = max(compiled.setpoints_at(k).depth_target_mm[0] for k in range(0, compiled.n_ticks, 25))
    assert depth == pytest.approx(120.0, abs=0.5)


def test_mindfulness_paces_the_cushions_to_slow_breathing_in_zero_gravity() -> None:
    t = trace("mindfulness")
    total_air = t.air[:, 0, :].sum(axis=1)
    spectrum = np.abs(np.fft.rfft(total_air - total_air.mean()))
    freqs = np.fft.rfftfreq(total_air.size, 0.5)
    assert freqs[np.argmax(spectrum)] * 60 == pytest.approx(6.0, abs=0.5)
    assert np.all(t.backrest == 150.0) and np.all(t.legrest == 70.0)
    assert np.all(t.heat[:, :, 0] > 0)
    assert np.max(t.depth / t.comfortable) <= 0.25 + 1e-9


@pytest.mark.parametrize("body", [0, 1])
def test_lumbar_stays_between_l1_and_the_sacrum_with_waist_cushions_and_heat(body: int) -> None:
    t = trace("lumbar")
    m = maps()
    lo = m.region_bounds_mm("sacrum")[0][body]
    hi = m.landmark_y_mm("L1")[body]
    working = t.depth[:, body] > 0
    assert np.all((t.y[working, body] >= lo - 1) & (t.y[working, body] <= hi + 1))
    waist = t.air[:, body, air_cols("waist_left", "waist_right")].max(axis=1)
    assert np.mean(waist > 0) > 0.5
    assert np.mean(t.heat[:, body, 0] > 0) > 0.99
    assert np.any(t.tap[:, body] > 0) and np.any(t.knead[:, body] > 0)


def test_stretch_holds_the_legs_while_reclining_in_cycles() -> None:
    t = trace("stretch")
    reclined = (t.backrest[:, 0] >= 160) & (t.legrest[:, 0] <= 10)
    starts = np.flatnonzero(np.diff(reclined.astype(int)) == 1)
    assert len(starts) + int(reclined[0]) >= 5
    legs = t.air[:, 0, air_cols("calf_left", "calf_right", "foot_left", "foot_right")]
    assert np.all(legs[reclined] > 0)
    lo, hi = zone_bounds_mm("full-back", maps())
    assert t.y[:, 0].min() <= lo[0] + 1 and t.y[:, 0].max() >= hi[0] - 1


def test_heated_back_heats_throughout_and_stays_gentle() -> None:
    t = trace("heated-back")
    assert np.all(t.heat[:, :, 0] >= 38)
    assert np.max(t.depth / t.comfortable) <= 0.4 + 1e-9


@pytest.mark.parametrize("body", [0, 1])
def test_quick_covers_the_whole_back_in_seven_minutes(body: int) -> None:
    t = trace("quick")
    assert t.t_s[-1] < 7 * 60
    lo, hi = zone_bounds_mm("full-back", maps())
    assert t.y[:, body].min() <= lo[body] + 1
    assert t.y[:, body].max() >= hi[body] - 1


def test_after_office_goes_neck_and_shoulders_then_paraspinal_then_stretch() -> None:
    t = trace("after-office")
    m = maps()
    first = t.t_s < 8 * 60
    upper = t.y[first, 0] >= m.landmark_y_mm("scapula_tip")[0] - 1
    assert np.mean(upper[t.depth[first, 0] > 0]) > 0.9
    assert np.any(t.y[first, 0] > m.landmark_y_mm("C7")[0])  # the neck is worked
    middle = (t.t_s >= 11 * 60) & (t.t_s < 17 * 60)
    assert np.mean((t.width[middle, 0] >= 50) & (t.width[middle, 0] <= 60)) > 0.9
    late = t.t_s >= 17 * 60
    assert np.any(t.backrest[late, 0] >= 160) and t.backrest[-1, 0] == 105.0


def test_zones_land_on_each_bodys_landmarks() -> None:
    m = maps()
    lo, hi = zone_bounds_mm("lumbar", m)
    assert np.allclose(lo, m.landmark_y_mm("S1")) and np.allclose(hi, m.landmark_y_mm("L1"))
    # The tall person's lumbar sits higher along the track than the small person's.
    assert lo[1] > lo[0] and hi[1] > hi[0]
    lo, hi = zone_bounds_mm("T7..L3", m)
    assert np.allclose(lo, m.landmark_y_mm("L3")) and np.allclose(hi, m.landmark_y_mm("T7"))
