"""The pain diary: entries and their checks, the back drawing, the plan reading the diary, the
clinician's report, and export and delete leaving nothing behind."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text

from openchair.care.diary import BODY_REGIONS, DiaryEntry, DiaryError, back_svg, entry_from_dict
from openchair.care.diary_plan import context_for, diary_context
from openchair.care.diary_store import (
    StoreBreakRepository,
    add_entry,
    confirm_seen,
    entries,
    save_screening,
)
from openchair.care.export import forget_person, write_csv, write_json
from openchair.care.loader import ExerciseLibrary
from openchair.care.plan import plan_day
from openchair.care.records import BreakRecord, Outcome
from openchair.care.redflags import EMERGENCY_MESSAGE, URGENT_MESSAGE, message_for
from openchair.care.report import gather, report_html, report_pdf
from openchair.care.screening import load_rules
from openchair.care.settings import PlanSettings
from openchair.programs.loader import ProgramLibrary
from openchair.store.database import Store, open_store
from openchair.store.models import Base, SafetyEventRow, SessionRow
from openchair.store.people import add_person

RULES = load_rules()
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EXERCISES = ExerciseLibrary(user_dir=Path("/nonexistent")).load_all()[0]


def _no(**yes: bool) -> dict[str, bool]:
    answers = {q.id: False for q in RULES.question}
    answers.update({k.replace("_", "-"): v for k, v in yes.items()})
    return answers


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'diary.db'}")
    s.ensure_chair("local", "twin", {})
    for name in ("ana", "bo"):
        add_person(s, name)
    return s


def _fill(store: Store, name: str, days: int = 35) -> None:
    """Five weeks: lower-back pain 7 → 3, a massage every other evening, hourly breaks."""
    repo = StoreBreakRepository(store, name)
    for d in range(days):
        at = START + timedelta(days=d)
        pain = round(7 - 4 * d / (days - 1))
        add_entry(
            store,
            name,
            DiaryEntry(
                at,
                pain,
                areas=("lower-back-left", "lower-back-right") if d % 3 else ("lower-back-left",),
                stiffness_min=30 - d // 2,
                better=("walking",) if d % 2 else ("heat", "massage"),
                worse=("sitting",),
                notes="long drive" if d == 10 else "",
                red_flags={"fever": False, "night-pain": d == 12},
            ),
        )
        for h in range(3):
            outcome: Outcome = "done" if (d + h) % 4 else "skipped"
            repo.add(
                BreakRecord(at + timedelta(hours=2 + h), at.date(), "long", outcome, "chin-tuck")
            )
        if d % 2 == 0:
            with store.session() as s:
                sid = f"s{name}{d:03d}"
                s.add(
                    SessionRow(
                        id=sid,
                        chair_id="local",
                        person_id=None,
                        person_name=name,
                        program_id="lumbar",
                        program_name="Lumbar",
                        intensity=3,
                        started_at=at + timedelta(hours=11),
                        updated_at=at + timedelta(hours=11),
                        ended_at=at + timedelta(hours=11, minutes=12),
                        outcome="done",
                        reason="",
                        seconds=720.0,
                        seconds_by_zone={},
                        max_force_n=40.0,
                        max_depth_mm=50.0,
                        max_pressure_kpa=20.0,
                        max_temp_c=39.0,
                        owner_host="test",
                        owner_pid=1,
                    )
                )
                s.flush()
                s.add(
                    SafetyEventRow(
                        session_id=sid,
                        chair_id="local",
                        occurred_at=at,
                        time_s=1.0,
                        rule="force",
                        value=1.0,
                        limit_value=2.0,
                        reaction="clamp",
                        activity="session",
                    )
                )
    confirm_seen(store, name, START + timedelta(days=13), note="GP: no concern")


def test_entries_refuse_bad_input_with_the_field() -> None:
    for bad, word in [
        ({"at": "2026-03-02T08:00:00+00:00", "pain": 11}, "pain"),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": "7"}, "pain"),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": True}, "pain"),
        ({"at": "2026-03-02T08:00:00", "pain": 3}, "zone"),
        ({"at": "yesterday", "pain": 3}, "at"),
        ({"pain": 3}, "at"),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": 3, "areas": ["elbow"]}, "areas"),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": 3, "stiffness_min": -5}, "stiffness"),
        (
            {"at": "2026-03-02T08:00:00+00:00", "pain": 3, "red_flags": {"fever": "yes"}},
            "yes or no",
        ),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": 3, "red_flags": {"itch": True}}, "unknown"),
        ({"at": "2026-03-02T08:00:00+00:00", "pain": 3, "notes": "x" * 2001}, "notes"),
    ]:
        with pytest.raises(DiaryError, match=word):
            entry_from_dict(bad)  # type: ignore[arg-type]
    ok = entry_from_dict({"at": "2026-03-02T08:00:00+00:00", "pain": 0})
    assert ok.pain == 0 and not ok.any_red_flag


def test_red_flag_messages_are_calm_and_point_to_help() -> None:
    assert message_for({"fever": False}) is None
    assert message_for({"bladder-bowel": True}) == EMERGENCY_MESSAGE
    assert message_for({"weight-loss": True}) == URGENT_MESSAGE
    assert "999" in EMERGENCY_MESSAGE and "111" in URGENT_MESSAGE


def test_back_drawing_has_a_clickable_region_for_every_area() -> None:
    svg = back_svg(["neck", "lower-back-left"])
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    regions = {p.get("data-region"): p for p in root.iter(f"{ns}path") if p.get("data-region")}
    assert set(regions) == set(BODY_REGIONS)
    assert "selected" in (regions["neck"].get("class") or "")
    assert "selected" not in (regions["calf-left"].get("class") or "")


def test_the_plan_follows_the_diary_and_says_why() -> None:
    settings = PlanSettings(pain_areas=["neck"])
    day = date(2026, 3, 10)
    now = datetime(2026, 3, 10, 7, tzinfo=UTC)
    week = [DiaryEntry(now - timedelta(days=d), 4, areas=("lower-back-left",)) for d in range(5)]
    plan = plan_day(settings, day, EXERCISES, diary_context(week, now))
    evening = next(i for i in plan.items if i.kind == "evening")
    assert evening.program == "lumbar" and "diary" in evening.reason
    severe = [DiaryEntry(now - timedelta(days=d), 8) for d in range(3)]
    evening = next(
        i
        for i in plan_day(settings, day, EXERCISES, diary_context(severe, now)).items
        if i.kind == "evening"
    )
    assert evening.program == "mindfulness" and "severe" in evening.reason
    out = diary_context(week, now, programs_out=["lumbar", "quick"])
    plan = plan_day(settings, day, EXERCISES, out)
    evening = next(i for i in plan.items if i.kind == "evening")
    assert evening.program not in ("lumbar", "quick") and "ruled out" in evening.reason
    assert all(i.program != "quick" for i in plan.items)
    none_left = diary_context(week, now, programs_out=list(ProgramLibrary().ids()))
    plan = plan_day(settings, day, EXERCISES, none_left)
    assert all(i.program is None for i in plan.items)
    held = plan_day(settings, day, EXERCISES, diary_context(week, now, red_flag_hold=True))
    assert held.items == [] and "paused" in held.notes[0]


def test_the_plan_of_a_stored_person_uses_the_health_check(store: Store) -> None:
    save_screening(store, "ana", RULES, _no(osteoporosis=True), START)
    ctx = context_for(store, "ana", START + timedelta(days=1), RULES, ProgramLibrary())
    assert {"deep-tissue", "quick", "lumbar", "stretch"} <= set(ctx.programs_out)
    assert ctx.massage_held is not None and "osteoporosis" in ctx.caution_flags
    plan = plan_day(PlanSettings(), date(2026, 3, 3), EXERCISES, ctx)
    assert all(i.program is None for i in plan.items)  # held: no chair today
    offered = {x for i in plan.items for x in i.exercises}
    excluded = {e.label() for e in EXERCISES if "osteoporosis" in e.avoid_if}
    assert excluded and not offered & excluded


def test_report_renders_with_the_facts(store: Store, tmp_path: Path) -> None:
    _fill(store, "ana")
    save_screening(store, "ana", RULES, _no(blood_thinners=True), START)
    end = START + timedelta(days=35)
    data = gather(
        store,
        "ana",
        START,
        end,
        RULES,
        end,
        breaks=StoreBreakRepository(store, "ana").all(),
    )
    html = report_html(data)
    assert "Back pain diary: ana" in html
    assert "Is the pain severe at night" in html  # the red-flag answer and its date
    assert "Confirmed seen by a clinician on 15 Mar 2026: GP: no concern" in html
    assert "18 sessions" in html and "Lumbar ×18" in html
    assert "lower back, left" in html and "blood-thinning" in html
    assert "depth at most 50%" in html
    assert re.search(r"data:image/png;base64,[A-Za-z0-9+/]{1000,}", html)
    assert data.trend.kind == "better"
    (tmp_path / "report.html").write_text(html)
    pdf = tmp_path / "report.pdf"
    report_pdf(data, pdf)
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b(?!s)", body)) == 2


def _rows_mentioning(store: Store, name: str, pid: int) -> list[str]:
    found = []
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            cols = [c["name"] for c in inspect(conn).get_columns(table)]
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                values = dict(zip(cols, row, strict=True))
                if values.get("person_id") == pid or name in (str(v) for v in values.values()):
                    found.append(f"{table}: {values}")
    return found


def test_export_has_everything_and_forget_leaves_nothing(store: Store, tmp_path: Path) -> None:
    import openchair.store.diary_models  # noqa: F401  (the tables are in Base.metadata)

    _fill(store, "ana", days=14)
    _fill(store, "bo", days=4)
    save_screening(store, "ana", RULES, _no(pregnancy=True), START)
    made = START + timedelta(days=15)
    data = json.loads(write_json(store, "ana", tmp_path / "ana.json", made).read_text())
    assert len(data["diary"]) == 14 and len(data["sessions"]) == 7
    assert len(data["breaks"]) == 42 and data["screenings"][0]["answers"]["pregnancy"]
    assert data["confirmations"][0]["note"] == "GP: no concern"
    files = {p.name: p for p in write_csv(store, "ana", tmp_path / "csv", made)}
    assert "posture_days.csv" in files
    with files["diary.csv"].open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14 and rows[0]["areas"] == "lower-back-left"
    assert "night-pain" in next(r for r in rows if r["red_flags_yes"])["red_flags_yes"]
    with store.session() as s:
        pid = s.scalar(select(text("id")).select_from(text("people")).where(text("name = 'ana'")))
    assert pid is not None
    assert _rows_mentioning(store, "ana", pid)
    forget_person(store, "ana")
    # Every table of the database, not only the ones this code knows about.
    assert _rows_mentioning(store, "ana", pid) == []
    assert set(Base.metadata.tables) - {"alembic_version"} <= set(
        inspect(store.engine).get_table_names()
    )
    # Bo is untouched.
    assert len(entries(store, "bo")) == 4 and _rows_mentioning(store, "bo", pid + 1)


def test_migration_0004_makes_the_tables_the_models_describe(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import openchair.store.diary_models as dm

    mine = {
        m.__tablename__ for m in (dm.ScreeningRow, dm.DiaryRow, dm.ConfirmationRow, dm.BreakRow)
    }
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)

    def table_of(d: object) -> str | None:
        item = d[0] if isinstance(d, list) else d
        for part in item[1:] if isinstance(item, tuple) else ():
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None) in mine:
                return str(table.name)
            if name in mine:
                return str(name)
        return None

    assert [d for d in diffs if table_of(d) is not None] == []


def test_insight_puts_sitting_and_slouching_beside_pain(store: Store) -> None:
    from openchair.care.diary_views import insight_png_view, insight_view
    from openchair.posture.events import PostureDaySummary

    _fill(store, "ana", days=14)
    now = START + timedelta(days=14)
    posture = [
        PostureDaySummary(
            date=(START + timedelta(days=d)).date().isoformat(),
            sitting_s=6 * 3600.0,
            slouched_s=1800.0 * (2 - d // 7),
        )
        for d in range(14)
    ]
    view = insight_view(store, "ana", now, weeks=2, posture=posture)
    weeks = view["insight"]["weeks"]  # type: ignore[index]
    assert [w["slouched_min"] for w in weeks] == [420.0, 210.0]
    assert [w["sitting_min"] for w in weeks] == [2520.0, 2520.0]
    assert [w["sessions"] for w in weeks] == [4, 3]
    assert weeks[0]["pain_mean"] > weeks[1]["pain_mean"]
    json.dumps(view)
    assert insight_png_view(store, "ana", now, 2, posture=posture).startswith(b"\x89PNG")


@settings(max_examples=60, deadline=None)
@given(
    yes=st.sets(st.sampled_from([q.id for q in RULES.question])),
    regions=st.lists(st.sampled_from(list(BODY_REGIONS)), max_size=4),
    pain=st.integers(0, 10),
    offset=st.integers(0, 60),
)
def test_the_plan_never_offers_what_the_health_check_refuses(
    yes: set[str], regions: list[str], pain: int, offset: int
) -> None:
    """Over random answers and diaries: no chair program the rules refuse, no exercise the
    caution flags exclude, nothing at all under a hold on the chair."""
    from openchair.care.screening import apply_restrictions, restrictions_for

    r = restrictions_for(RULES, {q.id: q.id in yes for q in RULES.question})
    library = ProgramLibrary()
    refused = [
        pid for pid in library.ids() if isinstance(apply_restrictions(library.get(pid), r), str)
    ]
    now = datetime(2026, 3, 2, 7, tzinfo=UTC) + timedelta(days=offset)
    diary = [DiaryEntry(now - timedelta(days=1), pain, areas=tuple(dict.fromkeys(regions)))]
    ctx = diary_context(
        diary,
        now,
        massage_held=r.holds[0].message() if r.holds else None,
        programs_out=refused,
        caution_flags=r.caution_flags,
    )
    plan = plan_day(PlanSettings(), now.date(), EXERCISES, ctx)
    programs = {i.program for i in plan.items if i.program is not None}
    assert not programs & set(refused)
    if r.holds:
        assert not programs
    offered = {x for i in plan.items for x in i.exercises}
    by_id = {e.label(): e for e in EXERCISES}
    assert all(not set(by_id[x].avoid_if) & set(r.caution_flags) for x in offered)
