"""Programs verified together as one batch give every program exactly its own run: the same
outcome, margins, peaks, coverage and safety events per body as the program alone on the same
bodies, while a program that ends first leaves the batch (or, if it cannot, rests in it)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import numpy as np
import pytest

from openchair.hardware.contract import Commands
from openchair.programs import CompiledProgram, parse_program
from openchair.programs.mixed import CompiledMix
from openchair.verify import mix as mix_module
from openchair.verify.mix import MixedSession, repeat_twin, take_maps
from openchair.verify.rebatch import RebatchError, rebatch
from openchair.verify.result import ProgramResult
from openchair.verify.runner import (
    ScannedChunk,
    population,
    run_program_chunk,
    run_programs_chunk,
    scan_chunk,
)


def _program(pid: str, seconds: int, steps: str) -> Any:
    minutes = seconds / 60
    head = f'id = "{pid}"\nname = "{pid}"\ndescription = "A test."\nminutes = {minutes}\n\n'
    return parse_program(head + steps, f"{pid}.toml")


ROLL = """
[[step]]
seconds = 12
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3
"""
PROGRAMS = [
    # Three lengths (20 s, 42 s, 30 s): the first leaves the batch while the others run.
    _program(
        "roll-short", 20, ROLL + '\n[[step]]\nseconds = 8\ntechnique = "none"\nzone = "lumbar"\n'
    ),
    _program(
        "press-long",
        42,
        ROLL
        + """
[[step]]
seconds = 30
technique = "shiatsu"
zone = "lumbar"
depth = 0.6
dwell_seconds = 2
heat = { back = 40 }
air = { zones = ["waist"], level = 3, rhythm = "breathing" }
""",
    ),
    _program(
        "knead-mid",
        30,
        ROLL
        + """
[[step]]
seconds = 18
technique = "knead"
zone = "upper-back"
depth = 0.9
""",
    ),
]


class DeepPresses(CompiledProgram):
    """Presses 90 mm deep whatever the back: the supervisor steps in (safety events)."""

    def setpoints_at(self, tick: int) -> Commands:
        frame = super().setpoints_at(tick)
        if self.flat[self.step_at(tick)].step.technique == "shiatsu":
            frame.depth_target_mm = np.where(frame.depth_target_mm > 0, 90.0, 0.0)
        return frame


@cache
def chunk() -> ScannedChunk:
    return scan_chunk(population(3, 4), [0, 1, 2])


def assert_same(a: ProgramResult, b: ProgramResult) -> None:
    assert a.program_id == b.program_id
    assert a.outcome == b.outcome
    assert a.chair_ticks == b.chair_ticks
    np.testing.assert_array_equal(a.bodies, b.bodies)
    for rule in a.margins:
        np.testing.assert_array_equal(a.margins[rule], b.margins[rule], err_msg=rule)
    for key in a.worst_time_s:
        np.testing.assert_array_equal(a.worst_time_s[key], b.worst_time_s[key], err_msg=key)
    for name in ("peak_force_n", "threshold_at_peak_n", "peak_ratio", "coverage"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.back_seconds, b.back_seconds)
    np.testing.assert_array_equal(a.safety_events, b.safety_events)


@cache
def alone() -> tuple[ProgramResult, ...]:
    return tuple(run_program_chunk(p, chunk(), compiler=DeepPresses) for p in PROGRAMS)


def test_programs_run_together_give_each_program_its_own_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drops: list[bool] = []
    real_drop = MixedSession.drop

    def spy(self: MixedSession, positions: list[int]) -> bool:
        drops.append(real_drop(self, positions))
        return drops[-1]

    monkeypatch.setattr(MixedSession, "drop", spy)
    together = run_programs_chunk(PROGRAMS, chunk(), compiler=DeepPresses)
    assert drops and all(drops), "the programs that ended first left the batch"
    for a, b in zip(alone(), together, strict=True):
        assert_same(a, b)
    # The run was worth checking: the supervisor stepped in, and chair time differs by program.
    assert together[1].safety_events.sum() > 0
    assert len({r.chair_ticks for r in together}) == 3


def test_programs_that_cannot_leave_the_batch_rest_in_it_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> object:
        raise RebatchError("this supervisor cannot be re-batched")

    monkeypatch.setattr(mix_module, "rebatch", refuse)
    together = run_programs_chunk(PROGRAMS, chunk(), compiler=DeepPresses)
    for a, b in zip(alone(), together, strict=True):
        assert_same(a, b)


def test_a_repeated_twin_and_a_part_of_it_move_like_the_original() -> None:
    twin = chunk().twin
    assert twin is not None
    n = twin.batch_size
    both = repeat_twin(twin, 2)
    assert both.batch_size == 2 * n
    single = copy.deepcopy(twin)
    frame = Commands.safe(twin.description, n)
    frame.carriage_y_target_mm = np.linspace(-100.0, 300.0, n)
    frame.carriage_speed_limit_mm_s = np.full(n, 40.0)
    frame.depth_target_mm = np.full(n, 20.0)
    frame.heater_target_c = np.full((n, twin.description.n_heaters), 45.0)
    doubled = Commands(
        **{k: np.concatenate([getattr(frame, k)] * 2) for k in frame.__dataclass_fields__}
    )
    t = twin.time_s
    for k in range(1, 301):
        single.write(frame, t + k * 0.01)
        both.write(doubled, t + k * 0.01)
    a, b = single.read(t + 3.01), both.read(t + 3.01)
    for name in ("carriage_y_mm", "depth_mm", "force_left_n", "heater_temp_c"):
        np.testing.assert_array_equal(getattr(b, name)[:n], getattr(a, name), err_msg=name)
        np.testing.assert_array_equal(getattr(b, name)[n:], getattr(a, name), err_msg=name)
    # The second copy alone, taken out of the pair, goes on exactly as the original.
    rows = np.arange(n, 2 * n)
    fresh = type(both)(both.bodies.select(rows), description=both.description)
    part = rebatch(both, fresh, rows, 2 * n)
    for k in range(302, 402):
        single.write(frame, t + k * 0.01)
        part.write(frame, t + k * 0.01)
    np.testing.assert_array_equal(part.peek_truth().depth_mm, single.peek_truth().depth_mm)
    np.testing.assert_array_equal(
        part.peek_truth().carriage_y_mm, single.peek_truth().carriage_y_mm
    )
    assert twin.batch_size == n  # the original is untouched


def test_rebatch_refuses_what_it_cannot_place() -> None:
    class Odd:
        def __init__(self, n: int) -> None:
            self.square = np.zeros((n, n))  # which axis is the batch's?

    with pytest.raises(RebatchError):
        rebatch(Odd(3), Odd(2), np.array([0, 1]), 3)


def test_a_mix_gives_each_group_its_own_programs_frames_and_end() -> None:
    ch = chunk()
    assert ch.maps is not None and ch.twin is not None
    parts = [CompiledProgram(p, ch.maps, ch.twin.description) for p in PROGRAMS]
    mix = CompiledMix(parts)
    n = ch.maps.batch_size
    assert mix.batch_size == 3 * n
    assert mix.n_ticks == max(p.n_ticks for p in parts)
    np.testing.assert_array_equal(mix.end_ticks, np.repeat([p.n_ticks - 1 for p in parts], n))
    for tick in (0, 500, parts[0].n_ticks - 1, parts[0].n_ticks + 300, mix.n_ticks - 1):
        frame = mix.setpoints_at(tick)
        for g, part in enumerate(parts):
            own = part.setpoints_at(min(tick, part.n_ticks - 1))
            for name in frame.__dataclass_fields__:
                np.testing.assert_array_equal(
                    getattr(frame, name)[mix.group_rows(g)], getattr(own, name), err_msg=name
                )
    rest = mix.without([0])
    assert rest.batch_size == 2 * n and rest.parts == parts[1:]
    assert take_maps(ch.maps, np.array([2, 0])).landmarks_y_mm[1, 0] == ch.maps.landmarks_y_mm[0, 0]
