"""Storage: migrations, damaged files, people and history, and nothing lost on kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from openchair.cli.app import _register_commands, app
from openchair.store import migrate
from openchair.store.database import open_store
from openchair.store.errors import StoreError
from openchair.store.history import history
from openchair.store.models import Base
from openchair.store.people import StorePeople, add_person

OPENCHAIR = [sys.executable, "-m", "openchair"]


def cli(*args: str) -> tuple[int, str]:
    _register_commands()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_migrations_make_exactly_the_tables_the_code_uses(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    assert diff == []


def test_a_database_of_the_first_schema_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, str(path), "0001")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO people (name, body, default_intensity, heat, created_at) "
                "VALUES ('Ana', '{}', 2, 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(text("INSERT INTO chairs VALUES ('local', 'old chair', '{}', :t)"), {"t": now})
        conn.execute(
            text(
                "INSERT INTO sessions VALUES ('s1', 'local', 1, 'Ana', 'quick', 'Quick', 2, "
                ":t, :t, :t, 'completed', 'program finished', 420.0, '{}', 30.0, 40.0, 1.0, "
                "35.0, 'host', 1)"
            ),
            {"t": now},
        )
    engine.dispose()
    store = open_store(f"sqlite:///{path}")
    assert migrate.current_revision(store.engine) == migrate.head_revision() != "0001"
    people = StorePeople(store)
    ana = people.person("Ana")
    assert ana is not None and ana.default_intensity == 2 and ana.heat
    assert ana.favourite_programs == ()  # the new column, filled for existing people
    assert people.latest_map("Ana") is None  # the new table exists and is empty
    [entry] = history(store)
    assert (entry.person, entry.program_id, entry.outcome) == ("Ana", "quick", "completed")
    store.close()


def test_a_damaged_database_file_is_refused_by_name_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "openchair.db"
    junk = b"this is not a database, just some bytes" * 100
    path.write_bytes(junk)
    code, out = cli("history", "--data-dir", str(tmp_path))
    assert code == 2
    assert str(path) in out and "not an openchair database" in out
    assert "Traceback" not in out
    assert path.read_bytes() == junk
    code, out = cli("serve", "--db", f"sqlite:///{path}")  # the service refuses it too
    assert code == 2 and "not an openchair database" in out and path.read_bytes() == junk
    # A file with a SQLite header but garbage after it: the same, never overwritten.
    broken = b"SQLite format 3\x00" + b"\xff" * 4000
    path.write_bytes(broken)
    with pytest.raises(StoreError, match="cannot be opened as an openchair database"):
        open_store(data_dir=str(tmp_path))
    assert path.read_bytes() == broken


def test_a_database_from_a_newer_openchair_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_store(f"sqlite:///{path}").close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    before = path.read_bytes()
    code, out = cli("people", "list", "--db", f"sqlite:///{path}")
    assert code == 2 and "made by a newer openchair (schema 0999" in out and str(path) in out
    assert path.read_bytes() == before


def test_people_commands_and_preferences(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'p.db'}"]
    assert (
        cli("people", "add", "Ana", "--intensity", "2", "--heat", "--favourite", "quick", *db)[0]
        == 0
    )
    code, out = cli("people", "add", "Ana", *db)
    assert code == 1 and "already known" in out
    code, out = cli("people", "add", "  ", *db)
    assert code == 1 and "needs a name" in out
    code, out = cli("people", "list", "--json", *db)
    assert json.loads(out) == [
        {
            "name": "Ana",
            "default_intensity": 2,
            "heat": True,
            "favourite_programs": ["quick"],
            "body": {},
        }
    ]
    code, out = cli("people", "show", "Bo", *db)
    assert code == 1 and "no person called 'Bo'" in out
    assert cli("people", "remove", "Ana", *db)[0] == 0
    assert json.loads(cli("people", "list", "--json", *db)[1]) == []


def test_a_run_is_recorded_with_its_person_and_the_scan_saves_their_map(tmp_path: Path) -> None:
    store = open_store(data_dir=str(tmp_path))
    add_person(store, "Ana")
    store.close()
    code, out = cli(
        "run", "quick", "--json", "--person", "Ana", "--fault", "lost_commands@2",
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 1, out
    code, out = cli("history", "--person", "Ana", "--json", "--data-dir", str(tmp_path))
    [entry] = json.loads(out)
    assert entry["outcome"] == "fault" and entry["reason"] == "board_watchdog"
    assert entry["safety_events"][0]["rule"] == "board_watchdog"
    assert abs(entry["safety_events"][0]["time_s"] - entry["duration_s"]) < 0.5
    code, out = cli("history", "--csv", "--data-dir", str(tmp_path))
    lines = out.strip().splitlines()
    assert (
        lines[0].startswith("started_at,person,program,outcome") and ",Ana,quick,fault," in lines[1]
    )
    store = open_store(data_dir=str(tmp_path))
    assert StorePeople(store).latest_map("Ana") is not None
    store.close()


def test_kill_9_mid_session_leaves_an_interrupted_session_with_its_events(tmp_path: Path) -> None:
    """A real process, really killed: the session was written while it ran."""
    env = {**os.environ, "OPENCHAIR_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [*OPENCHAIR, "run", "quick", "--no-scan", "--speed", "5", "--json",
         "--fault", "occupant_leaves@1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    db = f"sqlite:///{tmp_path / 'openchair.db'}"
    deadline = time.monotonic() + 30
    seen_event = False
    try:
        while time.monotonic() < deadline and not seen_event:
            time.sleep(0.2)
            if not (tmp_path / "openchair.db").exists():
                continue
            engine = create_engine(db)
            with engine.connect() as conn:
                try:
                    seen_event = bool(
                        conn.execute(
                            text("SELECT count(*) FROM safety_events WHERE session_id IS NOT NULL")
                        ).scalar()
                    )
                except Exception:  # tables not made yet
                    seen_event = False
            engine.dispose()
        assert seen_event, "the running session's first event never reached the database"
        time.sleep(1.2)  # the session goes on; progress is written every second
        assert proc.poll() is None, "the session ended before the kill"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    _, out = cli("history", "--json", "--data-dir", str(tmp_path))
    [entry] = json.loads(out)
    assert entry["outcome"] == "interrupted" and entry["ended_at"] is not None
    assert "without ending the session" in entry["reason"]
    assert entry["safety_events"][0]["rule"] == "occupancy_pause"
    assert entry["duration_s"] >= 2.0  # progress up to about a second before the kill


def test_a_seated_person_brings_their_saved_map_and_default_intensity(tmp_path: Path) -> None:
    import asyncio

    from openchair.body.batch import BodyBatch
    from openchair.body.model import BodyParams
    from openchair.control.clock import SimulatedClock
    from openchair.hardware.twin import TwinChair
    from openchair.programs.model import Program, Step
    from openchair.service import ServiceOptions, build_service
    from openchair.service.records import MapScanned
    from openchair.store.writer import StoreWriter

    bodies = BodyBatch.from_params([BodyParams.from_percentile(40, "female")])
    store = open_store(data_dir=str(tmp_path))
    add_person(store, "Ana", default_intensity=2)
    add_person(store, "Bo")
    store.ensure_chair("local", "twin", {})
    writer = StoreWriter(store, "local")  # as a scan in an earlier run saved it
    writer.note(MapScanned("Ana", bodies.bodies[0].to_map(), datetime.now(UTC)))
    writer.close()
    store.close()
    short = Program(
        id="short",
        name="Short",
        description="one step",
        minutes=0.1,
        step=[Step(seconds=6, technique="knead", zone="lumbar")],
    )

    async def scenario() -> None:
        service = build_service(
            ServiceOptions(speed=None, data_dir=str(tmp_path)),
            driver=TwinChair(bodies),
            clock=SimulatedClock(),
        )
        async with service:
            assert (await service.select_person("Bo")).accepted
            assert (await service.start(short)).reason == "no body map for Bo yet: scan first"
            assert (await service.select_person("Ana")).accepted
            assert (await service.start(short)).accepted  # her saved map: no scan needed
            sub = service.subscribe()
            frame = await sub.next()
            while frame.activity != "session":  # the frame of the tick that started it
                frame = await sub.next()
            assert frame.intensity == 2 and frame.person == "Ana"
            await service.wait_until_idle()

    asyncio.run(scenario())
    store = open_store(data_dir=str(tmp_path))
    [entry] = history(store, "Ana")
    store.close()
    assert (entry.outcome, entry.intensity, entry.program_id) == ("completed", 2, "short")
