"""Posture days in the chair's database: migration 0005, the one-time import of the old
``posture_days.json`` (nothing lost, nothing twice), deleting a person, and the plan command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from openchair.care.diary_store import delete_person_data
from openchair.care.export import export_person, forget_person
from openchair.care.posture_store import days, import_json_file, put_day
from openchair.cli.app import _register_commands, app
from openchair.posture.events import PostureDaySummary, SittingStreak
from openchair.store import migrate
from openchair.store.database import Store, open_store
from openchair.store.people import add_person
from openchair.web.care_desk import POSTURE_FILE, CareDesk

OLD_FILE = {
    "Ben": {
        "2026-03-02": {
            "date": "2026-03-02",
            "sitting_s": 3600.0,
            "slouched_s": 600.0,
            "away_s": 120.0,
            "unobserved_s": 5.5,
            "nudges": 2,
            "breaks": 1,
            "streaks": [[1772442000.0, 1772445600.0]],
        },
        "2026-03-03": {
            "date": "2026-03-03",
            "sitting_s": 7200.0,
            "slouched_s": 4440.0,
            "away_s": 0.0,
            "streaks": [],
        },
    },
    "Gone": {
        "2026-03-02": {"date": "2026-03-02", "sitting_s": 60.0, "slouched_s": 0.0, "away_s": 0.0}
    },  # a person deleted since
}


def store_with(tmp_path: Path, *people: str) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'chair.db'}")
    for p in people:
        add_person(store, p)
    return store


def test_migration_0005_adds_posture_days_to_a_0004_database_keeping_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, str(path), "0004")
    assert "posture_days" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO people (name, body, default_intensity, heat, created_at, "
                "favourite_programs) VALUES ('Ben', '{}', 2, 1, :t, '[]')"
            ),
            {"t": datetime(2026, 1, 2, tzinfo=UTC).isoformat()},
        )
    engine.dispose()
    store = open_store(f"sqlite:///{path}")
    try:
        assert migrate.current_revision(store.engine) == "0005" == migrate.head_revision()
        day = PostureDaySummary("2026-03-02", 60.0, 6.0, 1.0, 0.0, 1, 0, [SittingStreak(1, 61)])
        put_day(store, "Ben", day)
        assert days(store, "Ben") == [day]
        put_day(store, "Ben", PostureDaySummary("2026-03-02", sitting_s=120.0))  # replaces
        assert [d.sitting_s for d in days(store, "Ben")] == [120.0]
    finally:
        store.close()


def test_the_old_json_file_is_imported_once_and_kept(tmp_path: Path) -> None:
    old = tmp_path / POSTURE_FILE
    old.write_text(json.dumps(OLD_FILE), encoding="utf-8")
    store = store_with(tmp_path, "Ben")
    try:
        desk = CareDesk(data_dir=tmp_path)
        got = desk.posture(store, "Ben")
        assert [d.date for d in got] == ["2026-03-02", "2026-03-03"]
        first = got[0]
        assert (first.sitting_s, first.slouched_s, first.away_s, first.unobserved_s) == (
            3600.0,
            600.0,
            120.0,
            5.5,
        )
        assert (first.nudges, first.breaks) == (2, 1)
        assert first.streaks == [SittingStreak(1772442000.0, 1772445600.0)]
        # the file is kept, renamed and unchanged (the unknown person's day stays in it)
        assert not old.exists()
        kept = tmp_path / (POSTURE_FILE + ".imported")
        assert json.loads(kept.read_text(encoding="utf-8")) == OLD_FILE
        # a new day is added to the database; a restarted server imports nothing again
        desk.put_posture(store, "Ben", PostureDaySummary("2026-03-04", sitting_s=10.0))
        again = CareDesk(data_dir=tmp_path)
        assert len(again.posture(store, "Ben")) == 3
        # the same file put back (say, from a backup) adds nothing twice
        old.write_text(json.dumps(OLD_FILE), encoding="utf-8")
        report = import_json_file(store, old)
        assert (report.imported, report.kept, report.unknown_people) == (0, 2, ["Gone"])
        assert len(days(store, "Ben")) == 3
    finally:
        store.close()


def test_an_unreadable_old_file_is_left_alone(tmp_path: Path) -> None:
    old = tmp_path / POSTURE_FILE
    old.write_text('{"Ben": {"2026-03-02": {"date": "2026-03-02"', encoding="utf-8")
    store = store_with(tmp_path, "Ben")
    try:
        assert CareDesk(data_dir=tmp_path).posture(store, "Ben") == []
        assert old.read_text(encoding="utf-8").endswith('"2026-03-02"')
        report = import_json_file(store, old)
        assert report.problem is not None and "left as it is" in report.problem
        assert import_json_file(store, tmp_path / "missing.json").imported == 0
    finally:
        store.close()


def test_posture_days_are_exported_and_go_with_the_person(tmp_path: Path) -> None:
    store = store_with(tmp_path, "Ben", "Cy")
    try:
        put_day(store, "Ben", PostureDaySummary("2026-03-02", sitting_s=60.0, slouched_s=30.0))
        put_day(store, "Cy", PostureDaySummary("2026-03-02", sitting_s=60.0))
        data = export_person(store, "Ben", datetime(2026, 3, 5, tzinfo=UTC))
        assert data["posture_days"][0]["slouched_min"] == 0.5
        assert delete_person_data(store, "Ben")["posture_days"] == 1
        put_day(store, "Ben", PostureDaySummary("2026-03-03", sitting_s=60.0))
        assert forget_person(store, "Ben")["posture_days"] == 1
        assert len(days(store, "Cy")) == 1  # another person's days stay
    finally:
        store.close()


def test_plan_command_reads_the_posture_day_from_the_database() -> None:
    store = open_store()
    try:
        add_person(store, "dee")
        put_day(store, "dee", PostureDaySummary("2026-11-25", sitting_s=18000, slouched_s=4440))
    finally:
        store.close()
    _register_commands()
    result = CliRunner().invoke(app, ["plan", "-p", "dee", "--date", "2026-11-25", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)["items"]
    evening = next(i for i in items if i["kind"] == "evening")
    assert evening["reason"].startswith("You sat slouched for 74 minutes today")
