"""The diary's commands end to end on a database in the test's data folder: the answers go in,
a red flag holds, the report and the export come out, forget leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openchair.care.diary_views import add_entry_view, diary_form_view, screening_form_view
from openchair.care.screening import load_rules
from openchair.cli.app import _register_commands, app
from openchair.store.database import open_store
from openchair.store.people import add_person

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    _register_commands()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_health_diary_report_export_forget(tmp_path: Path) -> None:
    store = open_store()
    add_person(store, "ana")
    store.close()
    code, out = _run("health", "screen", "-p", "ana", "--yes", "pregnancy")
    assert code == 0 and "no heat" in out and "openchair health confirm -p ana pregnancy" in out
    code, out = _run("health", "screen", "-p", "ana", "--yes", "smoking")
    assert code == 2 and "unknown smoking" in out
    code, out = _run("health", "confirm", "-p", "ana", "pregnancy")
    assert code == 0 and "(confirmed)" in out and "On hold" not in out
    for day in range(1, 10):
        code, out = _run(
            "diary",
            "add",
            "-p",
            "ana",
            "--pain",
            "5",
            "-a",
            "neck",
            "--red-flags",
            "none",
            "--at",
            f"2026-03-{day:02d}T08:00:00+00:00",
        )
        assert code == 0, out
    code, out = _run("diary", "add", "-p", "ana", "--pain", "11", "--red-flags", "none")
    assert code == 2 and "pain: 11 is outside 0..10" in out
    code, out = _run("diary", "add", "-p", "ana", "--pain", "6", "--red-flags", "leg-weakness")
    assert code == 0 and "999" in out and "diary seen" in out
    code, out = _run("health", "show", "-p", "ana", "--json")
    assert json.loads(out)["red_flag_hold"] is True
    code, out = _run("diary", "seen", "-p", "ana")
    assert code == 0 and "yours again" in out
    png = tmp_path / "trend.png"
    code, out = _run("diary", "trend", "-p", "ana", "--png", str(png), "--weeks", "60")
    assert code == 0 and png.read_bytes().startswith(b"\x89PNG")
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    code, out = _run("report", "-p", "ana", "--html", str(html), "--pdf", str(pdf), "--weeks", "60")
    assert code == 0, out
    assert "Is the pain" not in html.read_text() and "weakness or numbness in both legs" in (
        html.read_text()
    )
    code, out = _run("export", "-p", "ana", "--json", str(tmp_path / "a.json"))
    assert code == 0 and len(json.loads((tmp_path / "a.json").read_text())["diary"]) == 10
    code, out = _run("diary", "forget", "-p", "ana", "--everything", "--yes")
    assert code == 0 and "10 pain_diary" in out
    code, out = _run("diary", "list", "-p", "ana")
    assert code == 2 and "no person called 'ana'" in out


def test_views_are_json_ready_and_a_red_flag_shows_only_its_message() -> None:
    rules = load_rules()
    json.dumps(screening_form_view(rules))
    form = diary_form_view(["neck"])
    assert json.dumps(form) and "data-region" in str(form["svg"])
    store = open_store()
    add_person(store, "bo")
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    ok = add_entry_view(store, "bo", {"pain": 3}, rules, now)
    assert ok["show_only"] is None and not ok["held"]
    flagged = add_entry_view(store, "bo", {"pain": 3, "red_flags": {"fever": True}}, rules, now)
    assert flagged["show_only"] == "red_flag" and set(flagged) == {
        "saved",
        "show_only",
        "message",
        "held",
    }
    json.dumps(ok)
    store.close()


def test_plan_for_a_person_follows_their_diary() -> None:
    store = open_store()
    add_person(store, "cy")
    store.close()
    assert _run("health", "screen", "-p", "cy", "--yes", "blood-thinners")[0] == 0
    code, _ = _run("diary", "add", "-p", "cy", "--pain", "5", "-a", "neck", "--red-flags", "none")
    assert code == 0
    code, out = _run("plan", "-p", "cy", "--json")
    assert code == 0, out
    items = json.loads(out)["items"]
    evening = next(i for i in items if i["kind"] == "evening")
    assert evening["program"] == "after-office" and "diary" in evening["reason"]
    assert all(i["program"] != "quick" for i in items)  # knocking: ruled out
