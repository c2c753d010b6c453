"""Bad input found by trying the CLI as an adversary would: each gets a clear error naming the
file, option or field and what is allowed (exit status 2, or 1 from ``programs validate``), never
a traceback, a hang or memory growing without bound."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from openchair.body.bodymap import BodyMap
from openchair.body.model import BodyParams, BodyParamsError, make_body
from openchair.cli.app import _register_commands, app
from openchair.inputs.limits import (
    PROBLEMS_SHOWN_MAX,
    PROGRAM_FILE_MAX_BYTES,
    PROGRAM_STEPS_EXPANDED_MAX,
)
from openchair.programs import ProgramError, parse_program
from openchair.programs.loader import read_program_file
from openchair.scan import load_map

_register_commands()

TINY = """
name = "Tiny"
description = "Fifteen seconds of rolling."
minutes = 0.25

[[step]]
seconds = 15
technique = "roll"
zone = "full-back"
"""

NESTED_REPEATS = """name = "n"
description = "d"
minutes = 30
[[step]]
repeat = 100
[[step.step]]
repeat = 100
[[step.step.step]]
repeat = 100
[[step.step.step.step]]
repeat = 100
[[step.step.step.step.step]]
seconds = 0.1
"""
"""Like the 207-byte program of the issue, which validated with steps of 18 µs, then expanded
to 10^8 steps when run (steps are now at least 0.1 s, which alone does not bound the size)."""


def flat(text: str) -> str:
    """The message without typer's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def cli(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args))
    # A SystemExit is how typer ends a command; anything else escaped as a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_refused(result: Result, *words: str, code: int = 2) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    text = flat(result.stderr + result.stdout)
    assert "Traceback" not in text
    for w in words:
        assert w in text, (w, text)


# -- bodies ---------------------------------------------------------------------------------------


def test_a_body_whose_neck_is_above_the_track_is_refused_by_body_and_run() -> None:
    assert_refused(
        cli("body", "--stature", "2100", "--mass", "60", "--seed", "690"),
        "C7",
        "800 mm",
    )
    assert_refused(
        cli("run", "quick", "--no-scan", "--body", "stature=2100,mass=60,seed=690"),
        "--body",
        "C7",
    )
    with pytest.raises(BodyParamsError, match="above the roller track"):
        make_body(BodyParams(2100, 60, "male", seed=690))
    # Another seed draws a shorter trunk: the same stature fits.
    assert make_body(BodyParams(2100, 60, "male", seed=1)).landmarks_y_mm["C7"] <= 800


# -- files that are not files ---------------------------------------------------------------------


def _openchair(*args: str) -> subprocess.CompletedProcess[str]:
    """In a process of its own: a hang ends the test by its timeout instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "openchair", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fifo_or_a_device_is_refused_at_once_not_waited_on_or_read_forever(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "program.toml"
    os.mkfifo(fifo)
    out = _openchair("programs", "validate", str(fifo), "/dev/zero")
    assert out.returncode == 1
    assert f"{fifo}: not a regular file" in out.stdout
    assert (
        "/dev/zero: not a regular file (a pipe or a device); "
        "a program must be a file of at most 4 MiB" in out.stdout
    )
    out = _openchair("run", str(fifo))
    assert out.returncode == 2 and "not a regular file" in out.stderr
    out = _openchair("run", "quick", "--body-map", "/dev/zero")
    assert out.returncode == 2 and "/dev/zero: not a regular file" in out.stderr


def test_a_file_past_the_size_limit_is_refused_naming_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as f:
        f.truncate(PROGRAM_FILE_MAX_BYTES + 1)
    with pytest.raises(ProgramError, match="larger than 4 MiB, the limit for a program"):
        read_program_file(big)
    assert_refused(cli("programs", "validate", str(big)), "4 MiB", code=1)


# -- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", ["1e-9", "0", "-3", "nan", "inf", "1e6", "abc"])
def test_a_speed_factor_out_of_range_is_refused(speed: str) -> None:
    assert_refused(cli("run", "quick", "--speed", speed), "--speed")


def test_the_demo_speed_is_bounded_too() -> None:
    assert_refused(cli("demo", "--speed", "1e-9"), "--speed", "0.1 to 1000")


@pytest.mark.parametrize("command", [["run", "quick"], ["scan"], ["selftest"], ["body"]])
@pytest.mark.parametrize("seed", ["-1", str(2**64), "99999999999999999999999"])
def test_a_seed_out_of_range_is_refused(command: list[str], seed: str) -> None:
    assert_refused(cli(*command, "--seed", seed), "--seed")


def test_a_body_seed_out_of_range_is_refused() -> None:
    assert_refused(cli("run", "quick", "--body", f"seed={2**40}"), "--body", "seed")
    assert_refused(cli("run", "quick", "--body", "seed=-1"), "--body", "seed")


@pytest.mark.parametrize("when", ["nan", "inf", "-1", "soon"])
def test_a_fault_time_that_is_not_a_number_of_seconds_is_refused(when: str) -> None:
    assert_refused(cli("run", "quick", "--fault", f"pump_dead@{when}"), "--fault")


# -- program files --------------------------------------------------------------------------------


def test_nested_repeats_past_the_expanded_size_are_refused_naming_the_limit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested.toml"
    path.write_text(NESTED_REPEATS)
    limit = f"{PROGRAM_STEPS_EXPANDED_MAX:,}"
    assert_refused(cli("programs", "validate", str(path)), "100,000,000 steps", limit, code=1)
    assert_refused(cli("programs", "show", str(path)), limit)
    assert_refused(cli("run", str(path)), limit)


def test_groups_nested_too_deep_are_refused() -> None:
    headers = "\n".join("[[" + ".".join(["step"] * k) + "]]" for k in range(1, 11))
    text = 'name = "n"\ndescription = "d"\nminutes = 1\n' + headers + "\nseconds = 60\n"
    with pytest.raises(ProgramError, match="groups nested 9 deep; at most 8"):
        parse_program(text)


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{b = " * 3000 + "1" + "}" * 3000,
        "[" + ".".join(["a"] * 100_000) + "]",
        "\n".join("[[" + ".".join(["step"] * k) + "]]" for k in range(1, 40)),
    ],
    ids=["arrays", "inline-tables", "tables", "step-groups"],
)
def test_deeply_nested_toml_is_refused_without_recursion_error(text: str) -> None:
    with pytest.raises(ProgramError, match="nested deeper than 24 levels"):
        parse_program(text, "deep.toml")


def test_a_hundred_thousand_bad_steps_validate_in_seconds_with_the_first_problems_listed() -> None:
    steps = "".join("[[step]]\nseconds = -1\n" for _ in range(100_000))
    text = 'name = "n"\ndescription = "d"\nminutes = 30\n' + steps
    t0 = time.process_time()
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "many.toml")
    took = time.process_time() - t0
    messages = caught.value.messages
    assert len(messages) == PROBLEMS_SHOWN_MAX + 1
    assert messages[0] == "many.toml:5: step 1: seconds: -1 is below 0.1"
    assert (
        messages[-2]
        == f"many.toml:{4 + 2 * PROBLEMS_SHOWN_MAX - 1}: step 50: seconds: -1 is below 0.1"
    )
    assert "99,950 more problems" in messages[-1]
    # Quadratic before: five minutes. Linear now: a few seconds on a loaded machine.
    assert took < 30.0, took


# -- body-map files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("map") / "map.json"
    assert cli("scan", "--save", str(path)).exit_code == 0
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_a_body_map_with_a_nan_landmark_is_refused_before_the_session(
    tmp_path: Path, saved_map: dict[str, object]
) -> None:
    landmarks = dict(saved_map["landmarks_y_mm"])  # type: ignore[call-overload]
    landmarks["L3"] = math.nan
    path = tmp_path / "nan.json"
    path.write_text(json.dumps({**saved_map, "landmarks_y_mm": landmarks}))
    with pytest.raises(ValueError, match="landmark L3 is nan, not a number"):
        load_map(path)
    assert_refused(cli("run", "quick", "--body-map", str(path)), "L3", "not a number")
    # A map built in code (a service, a test) is held to the same rule.
    with pytest.raises(ValueError, match="landmark L3 is nan, not a number"):
        BodyMap(
            landmarks,
            dict(saved_map["comfortable_depth_mm"]),  # type: ignore[call-overload]
            dict(saved_map["comfort_force_n"]),  # type: ignore[call-overload]
        )


def test_a_body_map_with_a_landmark_off_the_track_is_refused(
    tmp_path: Path, saved_map: dict[str, object]
) -> None:
    landmarks = dict(saved_map["landmarks_y_mm"])  # type: ignore[call-overload]
    landmarks["C7"] = 1e9
    path = tmp_path / "far.json"
    path.write_text(json.dumps({**saved_map, "landmarks_y_mm": landmarks}))
    assert_refused(cli("run", "quick", "--body-map", str(path)), "C7", "roller track")


def test_a_body_map_nested_a_hundred_thousand_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested deeper than 24 levels"):
        load_map(path)
    assert_refused(cli("run", "quick", "--body-map", str(path)), "nested deeper")


# -- output paths ---------------------------------------------------------------------------------


def test_scan_save_to_a_folder_is_refused_before_the_scan(tmp_path: Path) -> None:
    result = cli("scan", "--save", str(tmp_path))
    assert_refused(result, "--save", "is a folder")
    assert "scan:" not in result.stdout


def test_scan_save_to_a_full_disk_prints_the_scan_and_says_the_file_is_missing() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    result = cli("scan", "--save", "/dev/full")
    assert_refused(result, "/dev/full: cannot be written: No space left on device")
    assert "Body map (scan)" in result.stdout


def test_plot_to_a_missing_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "quick.png"
    assert_refused(cli("programs", "plot", "quick", "--out", str(out)), "--out", "does not exist")
    assert_refused(
        cli("programs", "plot", "quick", "--out", str(tmp_path / "q.pdf")), "PNG", ".png"
    )


def test_verify_report_to_a_file_is_refused_before_verification_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openchair.cli import verify_cmd

    def must_not_run(*args: object, **kwargs: object) -> object:
        raise AssertionError("verification ran although its report cannot be written")

    monkeypatch.setattr(verify_cmd, "verify", must_not_run)
    a_file = tmp_path / "report"
    a_file.write_text("")
    assert_refused(cli("verify", "--report", str(a_file)), "--report", "is a file")


def test_a_report_that_fails_to_write_after_verification_keeps_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openchair.verify import report

    def disk_full(*args: object, **kwargs: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "write_report", disk_full)
    program = tmp_path / "tiny.toml"
    program.write_text(TINY)
    result = cli(
        "verify", "--programs", str(program), "--bodies", "1", "--workers", "1",
        "--report", str(tmp_path / "out"),
    )  # fmt: skip
    assert_refused(result, "--report", "No space left on device")
    assert "PASS" in result.stdout or "FAIL" in result.stdout


def test_a_step_shorter_than_a_tenth_of_a_second_is_refused(tmp_path: Path) -> None:
    # It compiled to no tick at all, and `programs plot` failed with an IndexError.
    path = tmp_path / "instant.toml"
    path.write_text(
        'name = "T"\ndescription = "d"\nminutes = 0.00001\n[[step]]\nseconds = 0.0006\n'
        'technique = "knead"\n'
    )
    assert_refused(cli("programs", "validate", str(path)), "seconds: 0.0006 is below 0.1", code=1)
    out = tmp_path / "instant.png"
    assert_refused(cli("programs", "plot", str(path), "--out", str(out)), "below 0.1")


def test_names_in_a_program_file_are_shown_as_written_not_read_as_markup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # '[/]' closed a markup tag that was never opened: every command showing it failed.
    text = TINY.replace('"Tiny"', '"[/] [bold]x"').replace(
        'technique = "roll"', 'name = "[/]"\ntechnique = "roll"'
    )
    (tmp_path / "markup.toml").write_text(text)
    path = str(tmp_path / "markup.toml")
    assert "[/] [bold]x" in cli("programs", "show", path).stdout
    monkeypatch.setenv("OPENCHAIR_PROGRAMS_DIR", str(tmp_path))
    assert "[/] [bold]x" in cli("programs", "list").stdout
    assert cli("run", path, "--no-scan").exit_code == 0


def test_a_body_map_with_thousands_of_tight_spots_is_refused(
    tmp_path: Path, saved_map: dict[str, object]
) -> None:
    path = tmp_path / "spots.json"
    path.write_text(json.dumps({**saved_map, "tight_spots_y_mm": [300.0] * 5000}))
    with pytest.raises(ValueError, match="5000 tight spots; at most 32"):
        load_map(path)
