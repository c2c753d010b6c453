"""The verification report, from a hand-made result: a real verification takes minutes, and the
report's job is only to show a result faithfully."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from openchair.body.model import BodyParams
from openchair.verify.monitor import BACK_BINS
from openchair.verify.report import (
    HEATMAP_PNG,
    PEAK_FORCE_PNG,
    PEAK_SCATTER_PNG,
    RESULT_JSON,
    write_report,
)
from openchair.verify.result import ProgramResult, VerifyResult
from openchair.verify.rules import PAIN_THRESHOLD, RULE_NAMES, VerifyCriteria

PNGS = (HEATMAP_PNG, PEAK_FORCE_PNG, PEAK_SCATTER_PNG)


def _program(
    program_id: str, name: str, bodies: list[int], pain_margin: list[float]
) -> ProgramResult:
    n = len(bodies)
    rng = np.random.default_rng(len(program_id) + n)
    threshold = np.full(n, 60.0)
    force = threshold - np.asarray(pain_margin, dtype=np.float64)
    margins = {rule: np.full(n, 1.5) for rule in RULE_NAMES}
    margins[PAIN_THRESHOLD] = np.asarray(pain_margin, dtype=np.float64)
    margins["air_pressure"] = np.full(n, np.inf)  # a program without air work
    return ProgramResult(
        program_id=program_id,
        name=name,
        minutes=15.0,
        bodies=np.asarray(bodies, dtype=np.int64),
        margins=margins,
        outcome=["completed"] * n,
        peak_force_n=force,
        threshold_at_peak_n=threshold,
        peak_ratio=force / threshold,
        coverage=rng.uniform(0.6, 1.0, n),
        back_seconds=rng.uniform(0.0, 40.0, (n, BACK_BINS)),
        safety_events=np.zeros(n, dtype=np.int64),
        worst_time_s={PAIN_THRESHOLD: np.full(n, 30.0)},
        chair_ticks=1000 * n,
    )


def _result(programs: list[ProgramResult], n_bodies: int) -> VerifyResult:
    population = [BodyParams.from_percentile(50, "male", seed=i) for i in range(n_bodies)]
    return VerifyResult(
        population=population,
        seed=7,
        intensity=4,
        programs=programs,
        criteria=VerifyCriteria(),
        wall_s=2.5,
        workers=2,
    )


def _assert_pngs(directory: Path) -> None:
    for name in PNGS:
        data = (directory / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(data) > 5000, name


def test_report_shows_a_failing_body_and_how_to_replay_it(tmp_path: Path) -> None:
    result = _result(
        [
            _program("full_back", "Full back <relax>", [0, 1, 2], [12.0, 8.0, 20.0]),
            _program("deep_tissue", "Deep tissue", [0, 1, 2], [10.0, -5.0, 3.0]),
        ],
        n_bodies=3,
    )
    out = tmp_path / "nested" / "report"
    index = write_report(result, out)

    assert index == out / "index.html"
    page = index.read_text(encoding="utf-8")
    assert "full_back" in page and "deep_tissue" in page
    assert html.escape("Full back <relax>") in page and "<relax>" not in page
    assert "FAIL" in page and "PASS" not in page
    failing = html.escape(result.replay_command("deep_tissue", 1))
    assert failing in page
    assert "--intensity 4" in failing
    assert "<script" not in page.lower() and "http" not in page
    for name in PNGS:
        assert f'src="{name}"' in page
    _assert_pngs(out)

    data = json.loads((out / RESULT_JSON).read_text(encoding="utf-8"))
    assert data["ok"] is False
    deep = data["programs"][1]
    assert deep["failed"] == 1
    assert deep["failing_bodies"][0]["failed"] == [PAIN_THRESHOLD]

    # Writing again over an existing report is fine.
    assert write_report(result, out) == index


def test_report_passes_one_body_and_a_program_without_bodies(tmp_path: Path) -> None:
    result = _result(
        [
            _program("neck", "Neck", [0], [4.0]),
            _program("empty", "Nobody scanned", [], []),
        ],
        n_bodies=1,
    )
    page = write_report(result, tmp_path).read_text(encoding="utf-8")

    assert "PASS" in page and "FAIL" not in page
    assert "No bodies ran this program" in page
    assert result.replay_command("neck", 0) in page
    _assert_pngs(tmp_path)
    data = json.loads((tmp_path / RESULT_JSON).read_text(encoding="utf-8"))
    assert data["ok"] is True
    assert [p["program"] for p in data["programs"]] == ["neck", "empty"]
    assert data["programs"][1]["bodies"] == 0
