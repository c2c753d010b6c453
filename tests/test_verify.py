"""Verification over a body population: it catches an unsafe program and names the bodies, the
built-in library passes, and a body checked among a population gives the same result alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from openchair.cli.app import _register_commands, app
from openchair.cli.verify_cmd import DEFAULT_BODIES
from openchair.hardware.contract import Commands
from openchair.programs import CompiledProgram, ProgramLibrary, parse_program
from openchair.verify import fingerprint
from openchair.verify.rules import COMFORTABLE_DEPTH, RULE_NAMES, VerifyCriteria
from openchair.verify.runner import (
    chunk_bounds,
    population,
    run_program_chunk,
    scan_chunk,
    verify,
)

ROLL_IN = """
[[step]]
seconds = 15
technique = "roll"
zone = "full-back"
speed = 5
depth = 0.3

"""
"""A quick roll down the back first: the carriage starts at the top of the track after the scan,
and a slow technique would spend the step getting to its zone."""

SHORT = parse_program(
    """
id = "short-check"
name = "Short check"
description = "Kneading, shiatsu, tapping, air and heat in one minute."
minutes = 1.5

"""
    + ROLL_IN
    + """[[step]]
seconds = 40
technique = "knead"
zone = "lumbar"
depth = 0.9
heat = { back = 40 }
air = { zones = ["waist"], level = 3, rhythm = "breathing" }

[[step]]
seconds = 20
technique = "shiatsu"
zone = "full-back"
depth = 1.0
dwell_seconds = 2

[[step]]
seconds = 15
technique = "knock"
zone = "full-back"
depth = 0.8
""",
    "short-check.toml",
)

FIXED_DEPTH_MM = 90.0


class MillimetreProgram(CompiledProgram):
    """A program written for an average back in millimetres: it asks for 90 mm wherever it
    works, whoever sits in the chair. Deliberately unsafe for a back that takes less."""

    def setpoints_at(self, tick: int) -> Commands:
        frame = super().setpoints_at(tick)
        if self.flat[self.step_at(tick)].step.technique == "shiatsu":
            frame.depth_target_mm = np.where(frame.depth_target_mm > 0, FIXED_DEPTH_MM, 0.0)
        return frame


LUMBAR_ONLY = parse_program(
    """
id = "lumbar-knead"
name = "Lumbar knead"
description = "Kneading on the lumbar."
minutes = 0.75

"""
    + ROLL_IN
    + """[[step]]
seconds = 30
technique = "shiatsu"
zone = "lumbar"
depth = 0.5
dwell_seconds = 2
""",
    "lumbar-knead.toml",
)


def test_an_unsafe_program_is_caught_and_the_failing_bodies_named() -> None:
    n = 12
    result = verify([LUMBAR_ONLY], n, seed=5, workers=1, compiler=MillimetreProgram)
    program = result.programs[0]
    criteria = result.criteria
    # Which backs take less than 90 mm in the lumbar, by their own scan.
    chunk = scan_chunk(population(n, 5), list(range(n)))
    assert chunk.maps is not None
    lumbar = chunk.maps.region_depth_mm("lumbar")
    too_deep = set(np.flatnonzero(lumbar < FIXED_DEPTH_MM - criteria.depth_tolerance_mm).tolist())
    assert too_deep and len(too_deep) < n, "the population should hold both kinds of back"
    failing = set(program.bodies[~program.passed(criteria)].tolist())
    assert failing == too_deep
    assert not result.ok
    for i in np.flatnonzero(~program.passed(criteria)):
        assert COMFORTABLE_DEPTH in program.failed_rules(int(i), criteria)
    # The JSON names every failing body with its parameters and a command that replays it.
    listed = result.to_dict()["programs"][0]["failing_bodies"]  # type: ignore[index]
    assert {b["body"] for b in listed} == too_deep
    for b in listed:
        params = result.population[b["body"]]
        assert b["replay"] == (
            f"openchair run lumbar-knead --body {params.describe()} --seed {params.seed}"
        )
    # The supervisor still held the real rollers at the scanned depth: the program needed the
    # safety net, and verification says so, but nobody was hurt on the way.
    assert program.margins["pain_threshold"].min() > 0


def test_the_same_program_compiled_properly_passes_on_those_bodies() -> None:
    result = verify([LUMBAR_ONLY], 12, seed=5, workers=1)
    assert result.ok, result.to_dict()


def test_a_body_checked_among_a_population_gives_the_same_result_alone() -> None:
    people = population(5, 11)
    batch = run_program_chunk(SHORT, scan_chunk(people, list(range(5))))
    for i in (0, 3):
        alone = run_program_chunk(SHORT, scan_chunk([people[i]], [i]))
        for rule in RULE_NAMES:
            assert alone.margins[rule][0] == batch.margins[rule][i], rule
        assert alone.peak_force_n[0] == batch.peak_force_n[i]
        np.testing.assert_array_equal(alone.back_seconds[0], batch.back_seconds[i])


def test_parallel_workers_give_the_same_result_as_one_process() -> None:
    one = verify([SHORT], 4, seed=2, workers=1)
    two = verify([SHORT], 4, seed=2, workers=2)
    for rule in RULE_NAMES:
        np.testing.assert_array_equal(one.programs[0].margins[rule], two.programs[0].margins[rule])
    a, b = one.to_dict()["programs"], two.to_dict()["programs"]
    assert a == b, [(k, a[0][k], b[0][k]) for k in a[0] if a[0][k] != b[0][k]]  # type: ignore[index]


def test_every_check_sees_the_short_program_keep_its_promises() -> None:
    result = verify([SHORT], 6, seed=1, workers=1)
    p = result.programs[0]
    assert result.ok, result.to_dict()
    # Real figures, not placeholders: the rollers pressed, the back was covered, heat and air ran.
    assert np.all(p.peak_force_n > 5.0)
    assert np.all(p.peak_ratio < 1.0)
    assert np.all(p.coverage > 0.5)
    assert p.chair_ticks >= 6 * 90 * 100


def test_chunks_cover_every_body_once_and_feed_every_worker() -> None:
    for n, programs, workers in [(1, 7, 2), (5, 1, 2), (2500, 7, 2), (1000, 1, 4)]:
        bounds = chunk_bounds(n, programs, workers)
        covered = [i for a, b in bounds for i in range(a, b)]
        assert covered == list(range(n))
        assert len(bounds) * programs >= min(workers, n * programs)
        assert all(b - a <= 1000 for a, b in bounds)


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one body"):
        verify([SHORT], 0)
    with pytest.raises(ValueError, match="intensity"):
        verify([SHORT], 1, intensity=9)
    _register_commands()
    out = CliRunner().invoke(app, ["verify", "--programs", "no-such-program", "--bodies", "1"])
    assert out.exit_code == 2
    assert "no-such-program" in out.output


def test_cli_prints_the_table_and_exits_1_on_failure_and_0_on_success(tmp_path: Path) -> None:
    folder = tmp_path
    path = folder / "short-check.toml"
    path.write_text(
        """name = "Short check"
description = "Kneading on the lumbar, briefly."
minutes = 0.75

"""
        + ROLL_IN
        + """[[step]]
seconds = 30
technique = "knead"
zone = "lumbar"
depth = 0.8
"""
    )
    _register_commands()
    report = folder / "report"
    out = CliRunner().invoke(
        app,
        [
            "verify",
            "--programs",
            str(path),
            "--bodies",
            "3",
            "--workers",
            "1",
            "--report",
            str(report),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "Short check" in out.output or "short" in out.output.lower()
    assert "PASS" in out.output
    assert (report / "index.html").is_file()
    out = CliRunner().invoke(
        app, ["verify", "--programs", str(path), "--bodies", "2", "--workers", "1", "--json"]
    )
    assert out.exit_code == 0
    assert '"ok": true' in out.output


GOLDEN_FINGERPRINT = Path(__file__).parent / "data" / "verify_fingerprint_default.json.gz"


@pytest.mark.slow
def test_every_builtin_program_passes_on_the_default_population() -> None:
    library = ProgramLibrary(user_dir=None)
    programs = [library.get(p) for p in library.builtin_ids()]
    result = verify(programs, DEFAULT_BODIES, seed=0, workers=2)
    failures = {
        p.program_id: [
            (int(p.bodies[i]), p.failed_rules(int(i), result.criteria))
            for i in np.flatnonzero(~p.passed(result.criteria))
        ]
        for p in result.programs
    }
    assert result.ok, failures
    assert {p.program_id for p in result.programs} == set(library.builtin_ids())
    assert all(p.bodies.size == DEFAULT_BODIES for p in result.programs)
    # The same run must give every body the same outcome and margins as the recorded one: the
    # proof that a faster implementation (compiled kernels, batching, a cluster) changed no
    # result. A change that is meant to change results re-records it (and says why in its
    # commit): `benchmarks/verify_fingerprint.py --bodies 100 --out` + GOLDEN_FINGERPRINT.
    diffs = fingerprint.compare(
        fingerprint.load(GOLDEN_FINGERPRINT), fingerprint.fingerprint(result)
    )
    assert not diffs, [f"{d.where}: expected {d.expected!r}, got {d.got!r}" for d in diffs[:20]]


def test_criteria_defaults_read_the_safety_limits() -> None:
    c = VerifyCriteria()
    assert c.neck_force_max_n == c.limits.neck_force_max_n
