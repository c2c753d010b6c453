"""Looking for the rest of the bad inputs' kind: random option values, program files and body-map
files. Whatever comes in, the answer is a result or a clear error (exit status 0, 1 or 2 with a
message), never an exception escaping, a hang or a traceback."""

from __future__ import annotations

import json
import math
import re
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMapBatch
from openchair.body.model import BodyParams
from openchair.cli.app import _register_commands, app
from openchair.cli.body_spec import parse_body
from openchair.cli.run_cmd import parse_fault_at, parse_speed
from openchair.control import Session
from openchair.hardware.twin import TwinChair
from openchair.inputs.limits import SPEED_FACTOR_MAX, SPEED_FACTOR_MIN
from openchair.programs import ProgramError, parse_program, summarize
from openchair.scan import load_map, save_map

_register_commands()

SCRATCH = Path(tempfile.mkdtemp(prefix="openchair-fuzz-"))
"""Files the examples write (hypothesis runs many examples in one test, so not ``tmp_path``)."""

NASTY = st.sampled_from(
    [
        "0",
        "1",
        "-1",
        "3.5",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e-9",
        "1e309",
        "-0",
        "",
        " ",
        "abc",
        "0x10",
        "1_000",
        "2100",
        "18446744073709551616",
        "99999999999999999999999",
        "٣",
        "1e3",
    ]
)
"""Values that have broken options before, or are near their bounds."""
VALUES = st.one_of(
    NASTY, st.integers(-(2**70), 2**70).map(str), st.floats().map(str), st.text(max_size=10)
)


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def invoke(args: list[str]) -> Result:
    result = CliRunner().invoke(app, args)
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), (args, repr(exc))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert flat(result.stderr), args  # a message says what is wrong
    return result


def options(names: list[str]) -> st.SearchStrategy[list[str]]:
    """Some of the options ``names``, each with a value that may be anything."""
    return st.lists(
        st.tuples(st.sampled_from(names), VALUES), max_size=len(names), unique_by=lambda t: t[0]
    ).map(lambda pairs: [x for name, value in pairs for x in (name, value)])


# -- command-line options -------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    args=options(
        [
            "--stature",
            "--mass",
            "--sex",
            "--percentile",
            "--lordosis",
            "--kyphosis",
            "--softness",
            "--seed",
        ]
    )
)
def test_body_options_give_a_body_or_a_clear_error(args: list[str]) -> None:
    result = invoke(["body", "--json", *args])
    if result.exit_code == 0:
        json.loads(result.stdout)


THREE_SECONDS = 'name = "T"\ndescription = "d"\nminutes = 0.05\n[[step]]\nseconds = 3\n'
"""A program so short that a run with good options costs a quarter of a second."""


@settings(max_examples=30, deadline=None)
@given(args=options(["--intensity", "--seed", "--body", "--fault"]))
def test_run_options_give_a_session_or_a_clear_error(args: list[str]) -> None:
    # --speed is left at fast (a slow factor that is valid would take minutes; the parser's
    # property below covers it) and the scan is skipped, to keep each example quick.
    program = SCRATCH / "three-seconds.toml"
    program.write_text(THREE_SECONDS)
    invoke(["run", str(program), "--no-scan", "--json", *args])


@settings(max_examples=60, deadline=None)
@given(args=options(["--speed", "--body-map", "--intensity", "--seed", "--body", "--fault"]))
def test_run_options_are_checked_before_the_program_is_looked_up(args: list[str]) -> None:
    # A program that does not exist: a run with good options ends by naming the program.
    assert invoke(["run", "no-such-program", *args]).exit_code == 2


@settings(max_examples=60, deadline=None)
@given(args=options(["--bodies", "--seed", "--intensity", "--workers", "--report"]))
def test_verify_options_are_checked_before_anything_runs(args: list[str]) -> None:
    assert invoke(["verify", "--programs", "no-such-program", *args]).exit_code == 2


@settings(max_examples=300, deadline=None)
@given(text=VALUES)
def test_speed_and_fault_parsers_give_a_value_in_range_or_a_clear_error(text: str) -> None:
    try:
        speed = parse_speed(text)
    except typer.BadParameter as err:
        assert "--speed" in str(err.param_hint)
    else:
        assert speed is None or SPEED_FACTOR_MIN <= speed <= SPEED_FACTOR_MAX
    try:
        fault = parse_fault_at(f"pump_dead@{text}")
    except typer.BadParameter as err:
        assert "--fault" in str(err.param_hint)
    else:
        assert math.isfinite(fault.at_s) and fault.at_s >= 0


@settings(max_examples=300, deadline=None)
@given(
    spec=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "percentile",
                    "stature",
                    "mass",
                    "sex",
                    "lordosis",
                    "kyphosis",
                    "softness",
                    "seed",
                    "age",
                    "",
                ]
            ),
            st.one_of(VALUES, st.sampled_from(["female", "male", "50", "1620", "60", "1"])),
        ),
        max_size=6,
    ).map(lambda kv: ",".join(f"{k}={v}" for k, v in kv))
)
def test_a_body_spec_gives_a_body_on_the_track_or_a_clear_error(spec: str) -> None:
    try:
        params = parse_body(spec)
    except typer.BadParameter as err:
        assert err.param_hint == "--body" and str(err)
        return
    BodyBatch.from_params([params])  # a body that parses is a body the twin can seat


# -- program files --------------------------------------------------------------------------------


@cache
def library_texts() -> tuple[str, ...]:
    root = resources.files("openchair.programs") / "library"
    return tuple(
        (root / name).read_text(encoding="utf-8")
        for name in sorted(p.name for p in root.iterdir() if p.name.endswith(".toml"))
    )


@st.composite
def damaged_programs(draw: st.DrawFn) -> str:
    """A built-in program with a few lines damaged: a value replaced, a line dropped or
    repeated, a header nested or a value made huge."""
    lines = draw(st.sampled_from(library_texts())).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        key = lines[i].split("=")[0].strip() if "=" in lines[i] else "seconds"
        value = draw(
            st.one_of(
                st.sampled_from(
                    [
                        "-1",
                        "0",
                        "nan",
                        "inf",
                        "1e308",
                        "100",
                        "[]",
                        "{}",
                        '"lumbar"',
                        '"T7..C7"',
                        '"T7..ear"',
                        "true",
                        "[[1]]",
                        "{ back = 50 }",
                        '"99:99"',
                        "0.000001",
                    ]
                ),
                st.integers(-(2**64), 2**64).map(str),
                st.text(max_size=6).map(json.dumps),
            )
        )
        action = draw(st.sampled_from(["replace", "drop", "repeat", "nest", "junk"]))
        if action == "replace":
            lines[i] = f"{key} = {value}"
        elif action == "drop":
            del lines[i]
        elif action == "repeat":
            lines[i:i] = [lines[i]] * draw(st.integers(1, 3))
        elif action == "nest":
            lines[i:i] = ["[[step.step]]", "repeat = 100"]
        else:
            lines[i] = draw(st.text(max_size=20))
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=damaged_programs())
def test_a_damaged_program_gives_a_program_or_errors_that_name_the_file(text: str) -> None:
    try:
        program = parse_program(text, "damaged.toml")
    except ProgramError as err:
        assert err.messages
        assert all(m.startswith("damaged.toml") for m in err.messages), err.messages
        return
    summarize(program)  # what `programs show` prints: a valid program can be shown


@settings(max_examples=25, deadline=None)
@given(text=damaged_programs())
def test_programs_validate_answers_every_damaged_file(text: str) -> None:
    path = SCRATCH / "program.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = invoke(["programs", "validate", str(path)])
    assert result.exit_code in (0, 1)
    assert str(path) in result.stdout


# -- body-map files -------------------------------------------------------------------------------


@cache
def a_saved_map() -> dict[str, object]:
    body = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    path = SCRATCH / "map.json"
    save_map(body.true_maps().map_at(0), path)
    data: dict[str, object] = json.loads(path.read_text())
    return data


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=5),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def damaged_maps(draw: st.DrawFn) -> dict[str, object]:
    data: dict[str, object] = json.loads(json.dumps(a_saved_map()))
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(sorted(data)))
        value = data[section]
        if isinstance(value, dict) and value and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(value)))
            if draw(st.booleans()):
                del value[key]
            else:
                value[key] = draw(st.one_of(st.floats(-2000, 2000), JSON_VALUES))
        elif draw(st.booleans()):
            del data[section]
        else:
            data[section] = draw(JSON_VALUES)
    return data


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=damaged_maps())
def test_a_damaged_body_map_is_refused_with_its_name_or_runs_a_session(
    data: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(data))
    try:
        body_map = load_map(path)
    except ValueError as err:
        assert str(err).startswith(str(path)), err
        return
    # A map that loads is one a session can start on and run a little without failing.
    bodies = BodyBatch.from_params([BodyParams.from_percentile(50, "male")])
    program = parse_program(
        'name = "R"\ndescription = "d"\nminutes = 0.1\n[[step]]\nseconds = 6\n'
        'technique = "knead"\nzone = "lumbar"\n',
        "r.toml",
    )
    session = Session(program, BodyMapBatch.from_maps([body_map]), TwinChair(bodies, seeds=[0]))
    for k in range(20):
        session.tick(k * session.tick_s)
