"""The health check: its rules file, what each answer does to every built-in program, and the
chair service refusing or capping programs for the seated person (through its start gate)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from openchair.care.diary import DiaryEntry
from openchair.care.diary_store import (
    CareDataError,
    add_entry,
    confirm_hold,
    confirm_seen,
    health_status,
    save_screening,
)
from openchair.care.health_gate import HealthGate
from openchair.care.redflags import RED_FLAG_IDS
from openchair.care.screening import (
    MAX_DEPTH_FACTOR,
    ScreeningRulesError,
    air_zones,
    apply_restrictions,
    load_rules,
    max_depth,
    max_heat,
    restrictions_for,
    techniques_of,
)
from openchair.programs.compiler import INTENSITY_DEPTH_FACTOR
from openchair.programs.loader import ProgramLibrary
from openchair.programs.manual import ManualSettings
from openchair.programs.model import AIR_GROUPS, Program
from openchair.scan.run import provisional_map
from openchair.service import ServiceOptions, build_service
from openchair.store.database import Store, open_store
from openchair.store.people import add_person

RULES = load_rules()
LIBRARY = ProgramLibrary()
PROGRAMS: dict[str, Program] = {pid: LIBRARY.get(pid) for pid in LIBRARY.ids()}
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _no(**yes: bool) -> dict[str, bool]:
    answers = {q.id: False for q in RULES.question}
    answers.update({k.replace("_", "-"): v for k, v in yes.items()})
    return answers


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'care.db'}")
    add_person(s, "ana")
    return s


def test_rules_file_is_complete_and_names_real_programs() -> None:
    builtin = set(PROGRAMS)
    for q in RULES.question:
        assert set(q.programs_out) <= builtin, q.id
        assert RULES.sources_of(q), q.id
    asked = {q.id for q in RULES.question}
    # The conditions chair makers and clinical sources name are all asked.
    assert {
        "implant",
        "pregnancy",
        "blood-clot",
        "recent-surgery-or-injury",
        "osteoporosis",
        "cancer",
        "skin",
        "heart",
    } <= asked


def test_broken_rules_file_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    text = (Path(__file__).parent.parent / "src/openchair/care/screening_rules.toml").read_text()
    bad.write_text(text.replace("depth_cap = 0.4", "depth_cap = 4.0"))
    with pytest.raises(ScreeningRulesError) as err:
        load_rules(bad)
    assert "depth_cap" in str(err.value) and "rules.toml" in str(err.value)
    bad.write_text("version = [")
    with pytest.raises(ScreeningRulesError):
        load_rules(bad)


@pytest.mark.parametrize("question", [q.id for q in RULES.question])
@pytest.mark.parametrize("program_id", sorted(PROGRAMS))
def test_each_answer_over_every_builtin_program(question: str, program_id: str) -> None:
    """A "yes" refuses what it rules out and caps what it allows: depth at every intensity,
    heat, air. A "no" changes nothing."""
    q = RULES.get(question)
    program = PROGRAMS[program_id]
    assert apply_restrictions(program, restrictions_for(RULES, _no())) is program
    r = restrictions_for(RULES, {**_no(), question: True})
    out = apply_restrictions(program, r)
    uses_ruled_out = bool(techniques_of(program.step) & set(q.techniques_out))
    if program_id in q.programs_out or uses_ruled_out:
        assert isinstance(out, str) and "health check" in out
        return
    assert isinstance(out, Program)
    assert out.total_seconds() == pytest.approx(program.total_seconds())
    if q.depth_cap is not None:
        deepest = max_depth(out.step) * max(INTENSITY_DEPTH_FACTOR.values())
        assert deepest <= q.depth_cap + 1e-9
    else:
        assert max_depth(out.step) == max_depth(program.step)
    if q.heat == "off":
        assert max_heat(out.step) == 0.0
    elif isinstance(q.heat, float):
        assert max_heat(out.step) <= q.heat
    for zone in q.air_zones_off:
        names = air_zones(out.step)
        assert zone not in names and not set(AIR_GROUPS.get(zone, ())) & names


@settings(max_examples=60, deadline=None)
@given(yes=st.sets(st.sampled_from([q.id for q in RULES.question])))
def test_combined_answers_take_the_strictest_of_each(yes: set[str]) -> None:
    answers = {q.id: q.id in yes for q in RULES.question}
    r = restrictions_for(RULES, answers)
    caps = [RULES.get(i).depth_cap for i in yes if RULES.get(i).depth_cap is not None]
    assert r.depth_cap == (min(caps) if caps else None)  # type: ignore[type-var]
    assert {h.question for h in r.holds} == {i for i in yes if RULES.get(i).hold}
    for pid, program in PROGRAMS.items():
        out = apply_restrictions(program, r)
        if isinstance(out, Program):
            assert pid not in r.programs_out
            assert not techniques_of(out.step) & set(r.techniques_out)
            if r.depth_cap is not None:
                assert max_depth(out.step) * MAX_DEPTH_FACTOR <= r.depth_cap + 1e-9
            if r.heat_max_c == 0:
                assert max_heat(out.step) == 0


def test_answers_are_checked(store: Store) -> None:
    with pytest.raises(CareDataError, match="unanswered"):
        save_screening(store, "ana", RULES, {"pregnancy": True}, NOW)
    with pytest.raises(CareDataError, match="yes or no"):
        save_screening(store, "ana", RULES, {**_no(), "pregnancy": "maybe"}, NOW)
    with pytest.raises(CareDataError, match="unknown question"):
        save_screening(store, "ana", RULES, {**_no(), "smoker": True}, NOW)
    with pytest.raises(CareDataError, match="no person"):
        save_screening(store, "bo", RULES, _no(), NOW)


def test_hold_is_lifted_only_by_confirmation_and_comes_back_with_a_new_answer(
    store: Store,
) -> None:
    gate = HealthGate(store, RULES)
    quick = PROGRAMS["quick"]
    assert gate.admit("ana", quick) is quick  # not screened yet, not required
    save_screening(store, "ana", RULES, _no(implant=True), NOW)
    refusal = gate.admit("ana", quick)
    assert isinstance(refusal, str) and "on hold" in refusal and "pacemaker" in refusal
    confirm_hold(store, "ana", "implant", NOW)
    assert gate.admit("ana", quick) is quick
    save_screening(store, "ana", RULES, _no(implant=True), NOW)  # asked again on request
    assert isinstance(gate.admit("ana", quick), str)


def test_red_flag_holds_every_program_until_seen(store: Store) -> None:
    gate = HealthGate(store, RULES)
    save_screening(store, "ana", RULES, _no(), NOW)
    add_entry(store, "ana", DiaryEntry(NOW, 4, red_flags={"fever": False}))
    assert gate.admit("ana", PROGRAMS["mindfulness"]) is PROGRAMS["mindfulness"]
    add_entry(store, "ana", DiaryEntry(NOW, 6, red_flags={"bladder-bowel": True}))
    for program in PROGRAMS.values():
        refusal = gate.admit("ana", program)
        assert isinstance(refusal, str) and "paused" in refusal
    assert gate.heat_refusal("ana") is not None
    confirm_seen(store, "ana", NOW)
    assert gate.admit("ana", PROGRAMS["quick"]) is PROGRAMS["quick"]
    # A later "yes", even dated before the confirmation, holds again.
    add_entry(store, "ana", DiaryEntry(NOW.replace(day=1), 5, red_flags={"night-pain": True}))
    assert health_status(store, "ana", RULES).red_flag_hold


def _service(tmp_path: Path) -> object:
    return build_service(
        ServiceOptions(speed=None, db_url=f"sqlite:///{tmp_path / 'svc.db'}"),
    )


def test_the_chair_service_refuses_and_caps_for_the_seated_person(tmp_path: Path) -> None:
    """Through ``build_service``'s own gate: a ruled-out program, technique and heat are refused
    with the reason, an allowed program runs capped."""
    from openchair.service import ChairService

    service = _service(tmp_path)
    assert isinstance(service, ChairService)
    store = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    add_person(store, "ana")
    save_screening(store, "ana", RULES, _no(osteoporosis=True), NOW)
    confirm_hold(store, "ana", "osteoporosis", NOW)

    async def scenario() -> None:
        async with service:
            assert (await service.select_person("ana")).accepted
            maps = provisional_map(1)
            deep = await service.start("deep-tissue", maps=maps)
            assert not deep.accepted and "Deep Tissue is ruled out" in deep.reason
            quick = await service.start("quick", maps=maps)  # knocks: ruled out
            assert not quick.accepted and "knock" in quick.reason
            tap = await service.start(ManualSettings(technique="tap"), maps=maps)
            assert not tap.accepted and "tap" in tap.reason
            ok = await service.start("after-office", intensity=5, maps=maps)
            assert ok.accepted, ok.reason
            act = service.loop.activity
            running = act.session.program  # type: ignore[union-attr]
            assert max_depth(running.step) * MAX_DEPTH_FACTOR <= 0.4 + 1e-9
            assert max_depth(PROGRAMS["after-office"].step) > 0.4
            await service.stop()

    asyncio.run(scenario())
    store.close()


def test_the_chair_service_holds_after_a_red_flag(tmp_path: Path) -> None:
    from openchair.service import ChairService

    service = _service(tmp_path)
    assert isinstance(service, ChairService)
    store = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    add_person(store, "ana")
    add_entry(store, "ana", DiaryEntry(NOW, 7, red_flags={"saddle-numbness": True}))

    async def scenario() -> None:
        async with service:
            assert (await service.select_person("ana")).accepted
            answer = await service.start("mindfulness", maps=provisional_map(1))
            assert not answer.accepted and "paused" in answer.reason
            confirm_seen(store, "ana", NOW)
            answer = await service.start("mindfulness", maps=provisional_map(1))
            assert answer.accepted, answer.reason
            await service.stop()

    asyncio.run(scenario())
    store.close()


def test_docs_list_every_question_and_source() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "CARE.md").read_text()
    for q in RULES.question:
        assert f"`{q.id}`" in doc and q.ask in doc, q.id
    for s in RULES.source:
        assert s.url in doc, s.id


def test_capped_depth_holds_in_the_compiled_setpoints_at_the_deepest_intensity() -> None:
    """The cap on the frames the supervisor gets: set depth ≤ cap × comfortable depth at the
    roller's height, at intensity 5, all through Deep Tissue (which asks for 100 %)."""
    from openchair.hardware.contract import ChairDescription
    from openchair.programs.compiler import compile_program

    maps = provisional_map(1)
    cap = RULES.get("numbness").depth_cap
    assert cap is not None
    capped = apply_restrictions(
        PROGRAMS["deep-tissue"], restrictions_for(RULES, _no(numbness=True))
    )
    assert isinstance(capped, Program)

    def worst_share(program: Program) -> float:
        c = compile_program(program, maps, ChairDescription(), intensity=5)
        worst = 0.0
        for tick in range(0, c.n_ticks, 25):
            frame = c.setpoints_at(tick)
            y = frame.carriage_y_target_mm
            comfortable = c._comfortable_depth_at(y)
            worst = max(worst, float(np.max(frame.depth_target_mm / comfortable)))
        return worst

    assert worst_share(capped) <= cap + 1e-6
    assert worst_share(PROGRAMS["deep-tissue"]) > cap + 0.2  # the test can tell


_NAMES = itertools.count()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One database for every example (a person each): migrations run once."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('redflags') / 'h.db'}")
    yield store
    store.close()


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.sets(st.sampled_from(list(RED_FLAG_IDS)), max_size=2), min_size=1, max_size=4),
    seen_after=st.integers(0, 4),
)
def test_any_red_flag_yes_holds_until_seen(
    shared_store: Store, days: list[set[str]], seen_after: int
) -> None:
    """Over random diaries: programs are held exactly when a "yes" came after the last
    confirmation of being seen."""
    store = shared_store
    name = f"p{next(_NAMES)}"
    add_person(store, name)
    gate = HealthGate(store, RULES)
    pending = False
    for i, yes in enumerate(days):
        if i == seen_after:
            confirm_seen(store, name, NOW)
            pending = False
        add_entry(store, name, DiaryEntry(NOW, 3, red_flags={f: True for f in yes}))
        pending = pending or bool(yes)
    if seen_after >= len(days):
        confirm_seen(store, name, NOW)
        pending = False
    verdict = gate.admit(name, PROGRAMS["quick"])
    assert isinstance(verdict, str) == pending
    assert (gate.heat_refusal(name) is not None) == pending


def test_an_unreadable_health_record_refuses_rather_than_runs_unchecked(store: Store) -> None:
    gate = HealthGate(store, RULES)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE pain_diary")
    verdict = gate.admit("ana", PROGRAMS["quick"])
    assert isinstance(verdict, str) and "could not be read" in verdict
    assert gate.admit(None, PROGRAMS["quick"]) is PROGRAMS["quick"]  # a guest is not screened


def test_the_service_decides_every_builtin_program_as_the_rules_do(tmp_path: Path) -> None:
    """For a person who answered yes to pregnancy (hold confirmed): each built-in program is
    refused by the chair service exactly when the rules refuse it, and runs capped otherwise."""
    from openchair.service import ChairService

    service = _service(tmp_path)
    assert isinstance(service, ChairService)
    store = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    add_person(store, "ana")
    save_screening(store, "ana", RULES, _no(pregnancy=True), NOW)
    confirm_hold(store, "ana", "pregnancy", NOW)
    r = restrictions_for(RULES, _no(pregnancy=True), ["pregnancy"])

    async def scenario() -> None:
        async with service:
            assert (await service.select_person("ana")).accepted
            for pid, program in sorted(PROGRAMS.items()):
                expected = apply_restrictions(program, r)
                answer = await service.start(pid, maps=provisional_map(1))
                if isinstance(expected, str):
                    assert not answer.accepted and answer.reason == expected, pid
                    continue
                assert answer.accepted, (pid, answer.reason)
                running = service.loop.activity.session.program  # type: ignore[union-attr]
                assert max_heat(running.step) == 0.0, pid
                assert max_depth(running.step) * MAX_DEPTH_FACTOR <= 0.5 + 1e-9, pid
                await service.stop()
                await service.wait_until_idle()
                assert (await service.reset()).accepted
            heat = await service.heat(True)
            assert not heat.accepted and "heat is off" in heat.reason

    asyncio.run(scenario())
    store.close()


def test_new_questions_in_the_rules_are_named(store: Store) -> None:
    from openchair.store.diary_models import ScreeningRow

    save_screening(store, "ana", RULES, _no(), NOW)
    with store.session() as s:
        row = s.scalars(select(ScreeningRow)).one()
        row.answers = {k: v for k, v in row.answers.items() if k != "heart"}
    status = health_status(store, "ana", RULES)
    assert status.new_questions == ("heart",)


def test_a_broken_rules_file_refuses_instead_of_stopping_the_service(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import openchair.care.screening as screening

    bad = tmp_path / "rules.toml"
    bad.write_text("version = [")
    monkeypatch.setattr(screening, "RULES_FILE", bad)
    monkeypatch.setattr(screening.load_rules, "__defaults__", (bad,))
    gate = HealthGate(store)
    refusal = gate.admit("ana", PROGRAMS["quick"])
    assert isinstance(refusal, str) and "rules cannot be read" in refusal
    assert gate.admit(None, PROGRAMS["quick"]) is PROGRAMS["quick"]
