"""The program language: clear errors, properties of the compiler, manual mode, the library."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARKS
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.hardware.contract import ChairDescription
from openchair.programs import (
    ManualSettings,
    ProgramError,
    ProgramLibrary,
    compile_program,
    manual_program,
    parse_program,
)
from openchair.programs.compiler import APPROACH_DEPTH_FRACTION, zone_bounds_mm
from openchair.programs.model import ZONES, Program, Step

DESC = ChairDescription()
MAPS = BodyBatch.from_params(
    [BodyParams.from_percentile(1, "female"), BodyParams.from_percentile(99, "male")]
).true_maps()
DOCS = Path(__file__).parent.parent / "docs" / "PROGRAMS.md"

GOOD = """name = "Test"
description = "A test program."
minutes = 2

[[step]]
seconds = 60
technique = "knead"
zone = "lumbar"

[[step]]
seconds = 30
technique = "roll"

[[step]]
seconds = 30
technique = "tap"
depth = 0.4
"""


def errors_of(text: str, source: str = "p.toml") -> list[str]:
    with pytest.raises(ProgramError) as err:
        parse_program(text, source)
    return err.value.messages


def test_the_documented_worked_example_is_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert blocks
    program = parse_program(blocks[0], "docs/PROGRAMS.md")
    assert program.total_seconds() == 600
    compiled = compile_program(program, MAPS, DESC)
    compiled.setpoints_at(compiled.n_ticks - 1).validate(DESC)


def test_out_of_range_value_names_file_line_step_and_field() -> None:
    text = GOOD.replace("depth = 0.4", "depth = 1.4")
    assert errors_of(text) == ["p.toml:17: step 3: depth: 1.4 is above 1.0"]


def test_unknown_technique_and_zone_list_what_is_allowed() -> None:
    text = GOOD.replace('"knead"', '"kneed"').replace('"lumbar"', '"lumbago"')
    msgs = errors_of(text)
    assert any(m.startswith("p.toml:7: step 1: technique: 'kneed' is not one of") for m in msgs)
    assert any("p.toml:8: step 1: zone: unknown zone 'lumbago'" in m for m in msgs)
    assert any("full-back" in m for m in msgs)


def test_totals_that_do_not_add_up_and_negative_times_are_refused() -> None:
    msgs = errors_of(GOOD.replace("minutes = 2", "minutes = 3"))
    assert msgs == ["p.toml:3: minutes: the steps add up to 2:00, the program says 3:00"]
    msgs = errors_of(
        GOOD.replace('seconds = 30\ntechnique = "roll"', 'seconds = -5\ntechnique = "roll"')
    )
    assert "p.toml:11: step 2: seconds: -5 is below 0.1" in msgs


def test_overlapping_start_times_are_refused() -> None:
    text = GOOD.replace(
        'seconds = 30\ntechnique = "tap"', 'at = "1:20"\nseconds = 30\ntechnique = "tap"'
    )
    assert errors_of(text) == [
        "p.toml:15: step 3: at: 1:20 overlaps the step before, which ends at 1:30"
    ]


def test_typos_in_keys_and_nested_steps_are_located() -> None:
    text = GOOD + "\n[[step]]\nrepeat = 2\n  [[step.step]]\n  seconds = 10\n  dept = 0.5\n"
    msgs = errors_of(text)
    assert "p.toml:23: step 4.1: dept: is not a field a program knows (a typo?)" in msgs


def test_heat_above_41_needs_a_clinical_reason() -> None:
    text = GOOD.replace('zone = "lumbar"', 'zone = "lumbar"\nheat = { back = 42 }')
    assert any("clinical_reason" in m for m in errors_of(text))
    ok = GOOD.replace(
        'zone = "lumbar"', 'zone = "lumbar"\nheat = { back = 42, clinical_reason = "physio" }'
    )
    parse_program(ok)


def test_broken_toml_is_an_error_with_a_line() -> None:
    msgs = errors_of('name = "x"\nminutes = = 3\n')
    assert msgs[0].startswith("p.toml:2: not valid TOML")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_mutation_of_a_valid_file_gives_a_program_error_or_a_program(
    data: st.DataObject,
) -> None:
    text = GOOD
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = data.draw(
            st.text(alphabet='=[]"{}.,0123456789- \nabcdefghijklmnopqrstuvwxyz', max_size=6)
        )
        if action == "insert":
            text = text[:pos] + chunk + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + len(chunk) :]
        else:
            text = text[:pos] + chunk + text[pos + len(chunk) :]
    try:
        program = parse_program(text)
    except ProgramError as err:
        assert err.messages and all(
            m.startswith("p.toml") or m.startswith("<") for m in err.messages
        )
        return
    assert isinstance(program, Program)


@settings(max_examples=30)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(blob: bytes) -> None:
    with contextlib.suppress(ProgramError):
        parse_program(blob.decode("utf-8", errors="replace"))


zones = st.sampled_from(
    [*ZONES, *LANDMARKS, "T7..L3", "C7..S1", "shoulder..scapula_tip", "seat_crease..L5"]
)
steps = st.builds(
    Step,
    seconds=st.floats(1, 120),
    technique=st.sampled_from(["knead", "tap", "knock", "clap", "shiatsu", "roll", "none"]),
    zone=zones,
    speed=st.integers(1, 5),
    rhythm=st.sampled_from(["steady", "wave", "pulse"]),
    width=st.one_of(st.sampled_from(["narrow", "medium", "wide"]), st.floats(40, 140)),
    depth=st.floats(0, 1),
    passes=st.one_of(st.none(), st.integers(1, 50)),
    dwell_seconds=st.floats(0.5, 30),
    foot_rollers=st.integers(0, 3),
    recline=st.sampled_from([None, "upright", "relax", "zero-gravity"]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(steps, min_size=1, max_size=4), st.integers(1, 5), st.data())
def test_any_valid_program_compiles_to_setpoints_inside_the_chair_range(
    step_list: list[Step], intensity: int, data: st.DataObject
) -> None:
    total = sum(s.total_seconds() for s in step_list)
    program = Program(name="p", description="d", minutes=total / 60, step=step_list)
    compiled = compile_program(program, MAPS, DESC, intensity=intensity)
    for tick in data.draw(st.lists(st.integers(0, compiled.n_ticks - 1), min_size=1, max_size=20)):
        frame = compiled.setpoints_at(tick)
        frame.validate(DESC)
        assert np.all(frame.depth_target_mm <= MAPS.comfortable_depth_mm.max(axis=1) + 1e-9)


def test_manual_mode_runs_through_the_same_language() -> None:
    settings_ = ManualSettings(
        technique="shiatsu",
        zone="L3",
        speed=2,
        intensity=5,
        air_zones=["calves"],
        heat=True,
        recline="relax",
        minutes=5,
    )
    program = manual_program(settings_)
    assert program.total_seconds() == 300
    compiled = compile_program(program, MAPS, DESC)
    frames = [compiled.setpoints_at(k) for k in range(0, compiled.n_ticks, 50)]
    lo, hi = zone_bounds_mm("L3", MAPS)
    for f in frames:
        f.validate(DESC)
        assert np.all((f.carriage_y_target_mm >= lo - 1e-9) & (f.carriage_y_target_mm <= hi + 1e-9))
        assert f.heater_target_c[0, 0] == 40.0 and f.backrest_angle_target_deg[0] == 125.0
    assert max(f.depth_target_mm.max() for f in frames) > 0
    with pytest.raises(ValueError, match="minutes"):
        ManualSettings(minutes=45)
    with pytest.raises(ValueError, match="zone"):
        manual_program(ManualSettings(zone="elbow"))


def test_user_programs_appear_next_to_builtin_ones(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(GOOD)
    lib = ProgramLibrary(user_dir=tmp_path)
    assert "mine" in lib.ids() and "deep-tissue" in lib.ids()
    assert lib.get("mine").name == "Test" and not lib.is_builtin("mine")
    with pytest.raises(ProgramError, match="no program 'nope'"):
        lib.get("nope")


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    _register_commands()
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_cli_list_show_schema_validate_and_plot(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(GOOD)
    code, out = run_cli("programs", "list", "--json", env={"OPENCHAIR_PROGRAMS_DIR": str(tmp_path)})
    assert code == 0
    ids = {p["id"] for p in json.loads(out)}
    assert ids >= {
        "deep-tissue",
        "mindfulness",
        "lumbar",
        "stretch",
        "heated-back",
        "quick",
        "after-office",
        "mine",
    }
    code, out = run_cli("programs", "show", "quick", "--json")
    data = json.loads(out)
    assert code == 0 and data["minutes"] == 7 and data["seconds_by_zone"]["full-back"] == 420
    code, out = run_cli("programs", "schema")
    schema = json.loads(out)
    assert code == 0 and "step" in schema["properties"]
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("depth = 0.4", "depth = 1.4"))
    code, out = run_cli("programs", "validate", str(tmp_path / "mine.toml"), str(bad))
    assert code == 1 and f"{bad}:17: step 3: depth: 1.4 is above 1.0" in out
    code, out = run_cli("programs", "validate", str(tmp_path / "mine.toml"))
    assert code == 0
    png = tmp_path / "plot.png"
    code, out = run_cli("programs", "plot", "lumbar", "--out", str(png))
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out = run_cli("programs", "show", "nope")
    assert code == 2


def test_linger_presses_on_the_tight_spots_inside_the_zone() -> None:
    spot_y = float(MAPS.landmark_y_mm("L3")[0])
    spots = np.array([[spot_y, 900.0], [np.nan, np.nan]])  # 900 mm lies outside the zone
    maps = type(MAPS)(MAPS.landmarks_y_mm, MAPS.comfortable_depth_mm, MAPS.comfort_force_n, spots)
    step = Step(
        seconds=20, technique="knead", zone="lumbar", depth=0.8, linger=0.5, dwell_seconds=3
    )
    program = Program(name="p", description="d", minutes=20 / 60, step=[step])
    compiled = compile_program(program, maps, DESC)
    late = [compiled.setpoints_at(k) for k in range(1200, 2000, 10)]  # the lingering half
    assert all(f.carriage_y_target_mm[0] == pytest.approx(spot_y) for f in late)
    assert max(f.depth_target_mm[0] for f in late) > 0
    # The chair without spots keeps kneading along the zone.
    assert len({round(float(f.carriage_y_target_mm[1])) for f in late}) > 10
    early = [compiled.setpoints_at(k) for k in range(0, 900, 10)]
    assert len({round(float(f.carriage_y_target_mm[0])) for f in early}) > 10


def test_a_slow_technique_gets_to_its_zone_at_full_speed() -> None:
    # Kneading travels at 6 mm/s; crossing from the shoulders to the lumbar at that pace would
    # take most of a minute. The carriage gets there at full speed, then kneads at its own pace.
    from openchair.control import Session, SimulatedClock, run_session
    from openchair.hardware.twin import TwinChair

    program = parse_program(
        """name = "Across"
description = "Shoulders, then the lumbar."
minutes = 1.5

[[step]]
seconds = 30
technique = "roll"
zone = "shoulders"
depth = 0.3

[[step]]
seconds = 60
technique = "knead"
zone = "lumbar"
speed = 2
depth = 0.5
""",
        "across.toml",
    )
    bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    twin = TwinChair(bodies)
    session = Session(program, bodies.true_maps(), twin)
    lo, hi = zone_bounds_mm("lumbar", bodies.true_maps())
    inside_at: list[float] = []

    def watch(s: Session, now_s: float) -> None:
        y = twin.truth.carriage_y_mm[0]
        if not inside_at and now_s >= 30.0 and lo[0] <= y <= hi[0]:
            inside_at.append(now_s - 30.0)

    run_session(session, SimulatedClock(), on_tick=watch, max_ticks=6_000)
    distance_mm = bodies.true_maps().region_bounds_mm("shoulders")[0][0] - hi[0]
    assert inside_at and inside_at[0] < distance_mm / 60.0 + 2.0
    # On the way the rollers stay light; once there, kneading travels at its own pace and depth.
    compiled = compile_program(program, bodies.true_maps(), DESC)
    on_way = compiled.setpoints_at(3_000 + 100)
    assert on_way.carriage_speed_limit_mm_s[0] == 60.0
    shallowest = bodies.true_maps().comfortable_depth_mm.min()
    assert on_way.depth_target_mm[0] <= APPROACH_DEPTH_FRACTION * shallowest + 1e-9
    there = compiled.setpoints_at(3_000 + 2_000)
    assert there.carriage_speed_limit_mm_s[0] < 20.0
    assert there.depth_target_mm[0] > on_way.depth_target_mm[0]
