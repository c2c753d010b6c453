"""The identity check itself: it must see a changed outcome or margin, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

from openchair.verify import fingerprint


def _fp(outcome: str = "completed", margin: float = 10.80999, events: int = 4) -> dict[str, object]:
    body = {"outcome": outcome, "margins": {"pain_threshold": margin}, "safety_events": events}
    return {"version": 1, "programs": {"quick": {"bodies": {"0": body}}}}


def test_identical_runs_compare_equal() -> None:
    assert fingerprint.compare(_fp(), _fp()) == []


def test_last_bit_rounding_is_not_a_difference() -> None:
    assert fingerprint.compare(_fp(margin=10.80999), _fp(margin=10.80999 + 1e-12)) == []


@pytest.mark.parametrize(
    ("changed", "where"),
    [
        (_fp(outcome="stopped: force"), "/programs/quick/bodies/0/outcome"),
        (_fp(margin=10.80999 + 1e-3), "/programs/quick/bodies/0/margins/pain_threshold"),
        (_fp(events=5), "/programs/quick/bodies/0/safety_events"),
    ],
)
def test_a_changed_result_is_named(changed: dict[str, object], where: str) -> None:
    diffs = fingerprint.compare(_fp(), changed)
    assert [d.where for d in diffs] == [where]


def test_a_missing_body_is_a_difference() -> None:
    fewer = _fp()
    programs = fewer["programs"]
    assert isinstance(programs, dict)
    programs["quick"]["bodies"] = {}
    assert [d.where for d in fingerprint.compare(_fp(), fewer)] == ["/programs/quick/bodies/0"]


@pytest.mark.parametrize("name", ["fp.json", "fp.json.gz"])
def test_saved_fingerprints_load_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    fingerprint.save(_fp(), path)
    assert fingerprint.compare(_fp(), fingerprint.load(path)) == []


def test_a_file_that_is_not_a_fingerprint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a version 1"):
        fingerprint.load(path)
