"""docs/SAFETY.md's rule table must not drift from limits.py and the supervisor's rule names."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from openchair.safety import supervisor as sv
from openchair.safety.limits import DEFAULT_LIMITS

DOC = (Path(__file__).parent.parent / "docs" / "SAFETY.md").read_text()


def test_every_limit_named_in_the_doc_has_the_value_of_limits_py() -> None:
    found = re.findall(r"`([a-z_]+)` = ([0-9.]+)", DOC)
    assert len(found) >= 10
    values = dataclasses.asdict(DEFAULT_LIMITS)
    for name, text in found:
        assert name in values, f"docs name a limit that does not exist: {name}"
        value = values[name]
        if name == "session_auto_off_s":
            assert value == float(text) * 60, name  # written in minutes
        elif name == "control_deadline_miss_s":
            assert value * 1000 == float(text), name  # written in ms
        else:
            assert value == float(text), name


def test_every_rule_of_the_supervisor_is_in_the_doc() -> None:
    rules = [v for k, v in vars(sv).items() if k.isupper() and isinstance(v, str) and "_" in v]
    for rule in rules:
        if rule in ("safe state, latched",):
            continue
        assert f"`{rule}`" in DOC, rule
