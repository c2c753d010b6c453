"""The exercise library: every file validates, every picture draws a person that moves."""

from __future__ import annotations

import itertools
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openchair.care.figure import drawing, render_svg
from openchair.care.loader import (
    ExerciseError,
    ExerciseLibrary,
    parse_exercise,
    read_exercise_file,
)
from openchair.care.model import AREAS, Exercise
from openchair.care.settings import SettingsError, load_settings
from openchair.cli.app import _register_commands, app

LIB = ExerciseLibrary(user_dir=Path("/nonexistent"))
EXERCISES = [LIB.get(i) for i in LIB.ids()]
SVG = "{http://www.w3.org/2000/svg}"


def test_library_has_twenty_exercises_covering_every_area_and_place() -> None:
    assert len(EXERCISES) >= 20
    assert {a for e in EXERCISES for a in e.areas} == set(AREAS)
    for place in ("desk", "standing", "floor"):
        assert sum(place in e.where for e in EXERCISES) >= 3, place


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.label())
def test_picture_is_valid_svg_inside_its_viewbox_and_moves(exercise: Exercise) -> None:
    svg = render_svg(exercise)
    root = ET.fromstring(svg)
    _, _, w, h = (float(v) for v in root.attrib["viewBox"].split())
    lines = root.findall(f".//{SVG}line")
    assert len(lines) >= 20  # ghost and figure: limbs, trunk, neck
    for el in root.iter():
        for attr in ("x1", "x2", "cx"):
            if attr in el.attrib:
                assert 0 <= float(el.attrib[attr]) <= w
        for attr in ("y1", "y2", "cy"):
            if attr in el.attrib:
                assert 0 <= float(el.attrib[attr]) <= h
        if el.tag == f"{SVG}animate":
            values = [float(v) for v in el.attrib["values"].split(";")]
            limit = w if el.attrib["attributeName"].startswith(("x", "cx")) else h
            assert all(0 <= v <= limit for v in values)
            # SMIL: one key time per value, from 0 to 1, never going back; loops seamlessly.
            times = [float(t) for t in el.attrib["keyTimes"].split(";")]
            assert len(times) == len(values) and times[0] == 0 and times[-1] == 1
            assert all(a <= b for a, b in itertools.pairwise(times))
            assert values[0] == values[-1]
    d = drawing(exercise)
    moved = max(
        abs(d.start[k][0] - d.end[k][0]) + abs(d.start[k][1] - d.end[k][1]) for k in d.start
    )
    assert moved > 0.02, "start and end poses look the same"


@pytest.mark.parametrize(
    "exercise", [e for e in EXERCISES if e.picture.view != "top"], ids=lambda e: e.label()
)
def test_figure_stays_on_the_ground_with_its_head_up(exercise: Exercise) -> None:
    d = drawing(exercise)
    for frame in d.frames:
        # Nothing sinks into the floor (a little slack for the round stroke ends).
        assert min(y for _, y in frame.values()) >= -0.03
        # Seated or standing figures keep their head above the pelvis.
        if exercise.picture.view != "top" and "floor" not in exercise.where:
            assert frame["head"][1] > frame["pelvis"][1]


def test_errors_name_file_line_and_field() -> None:
    good = (Path(__file__).parents[1] / "src/openchair/care/library/chin-tuck.toml").read_text()
    bad = good.replace("repetitions = 10", "repetitions = 99").replace(
        "hip_flex = 90\nknee = 90\nneck_shift = 0.6", "hip_flex = 90\nkne = 90\nneck_shift = 0.6"
    )
    with pytest.raises(ExerciseError) as err:
        parse_exercise(bad, "chin.toml")
    lines = bad.splitlines()
    rep_line = next(i for i, line in enumerate(lines, 1) if line.startswith("repetitions"))
    typo_line = next(i for i, line in enumerate(lines, 1) if line.startswith("kne ="))
    assert f"chin.toml:{rep_line}: repetitions: 99 is above 30" in err.value.messages
    assert any(
        m.startswith(f"chin.toml:{typo_line}: picture.start.kne:") for m in err.value.messages
    )


def test_a_persons_own_exercise_joins_and_overrides(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "src/openchair/care/library/chin-tuck.toml"
    (tmp_path / "my-tuck.toml").write_text(src.read_text().replace("Chin tuck", "My chin tuck"))
    (tmp_path / "broken.toml").write_text("name = 'x'\n")
    lib = ExerciseLibrary(user_dir=tmp_path)
    good, problems = lib.load_all()
    assert "my-tuck" in [e.label() for e in good]
    assert problems and problems[0].startswith(str(tmp_path / "broken.toml"))


def test_cli_show_writes_svg_and_schema_is_json(tmp_path: Path) -> None:
    _register_commands()
    runner = CliRunner()
    out = tmp_path / "p.svg"
    r = runner.invoke(app, ["exercises", "show", "knee-rolls", "--svg", str(out)])
    assert r.exit_code == 0, r.output
    assert ET.fromstring(out.read_text()).tag == f"{SVG}svg"
    r = runner.invoke(app, ["exercises", "schema"])
    assert "picture" in json.loads(r.output)["properties"]
    r = runner.invoke(app, ["exercises", "show", "no-such"])
    assert r.exit_code == 2 and "no exercise 'no-such'" in r.output


def test_views_are_json_ready_with_the_picture() -> None:
    from openchair.care.views import exercise_view

    card = exercise_view(LIB.get("seated-hamstring-stretch"))
    assert card["dose"] == "hold 15 s, 2× each side"
    assert str(card["svg"]).startswith("<svg") and card["general_cautions"]
    json.dumps(card)  # nothing that JSON cannot carry


def test_a_fifo_or_device_in_place_of_a_file_is_refused_at_once(tmp_path: Path) -> None:
    """A person's own exercise or settings file is read only when it is a regular file of
    bounded size, so a FIFO never hangs the command and /dev/zero never fills memory."""
    fifo = tmp_path / "mine.toml"
    os.mkfifo(fifo)
    with pytest.raises(ExerciseError) as err:
        read_exercise_file(fifo)
    assert "not a regular file" in str(err.value)
    with pytest.raises(SettingsError) as serr:
        load_settings(fifo)
    assert "not a regular file" in str(serr.value)
    with pytest.raises(ExerciseError):
        read_exercise_file(Path("/dev/zero"))
