"""The companion's API: exercises, plan and calendar, breaks with their limits, the diary's red
flags holding the chair, and posture day summaries; on the twin, with a hand-moved clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from openchair.care.redflags import HELD_REASON
from openchair.care.settings import BreakRules, PlanSettings, SettingsError
from openchair.programs.loader import ProgramLibrary
from openchair.service.factory import ServiceOptions, build_service
from openchair.store.database import open_store
from openchair.web.app import create_app
from openchair.web.care_desk import CareDesk
from openchair.web.pairing import PairingDesk
from web_support import Console, FakeClock, WebChair, pair

MONDAY_9 = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)


@dataclass
class WallClock:
    t: datetime = MONDAY_9

    def __call__(self) -> datetime:
        return self.t


def settings() -> PlanSettings:
    return PlanSettings(
        timezone="UTC",
        breaks=BreakRules(micro_every_minutes=0, postpone_limit=1, skip_limit_per_day=1),
    )


def make(tmp_path: Path, wall: WallClock) -> tuple[WebChair, CareDesk]:
    service = build_service(
        ServiceOptions(speed=None, data_dir=str(tmp_path)),
        programs=ProgramLibrary(tmp_path / "programs"),
    )
    store = open_store(None, str(tmp_path))
    care = CareDesk(settings_source=settings, now=wall, poll_s=0.2, data_dir=tmp_path)
    console, clock = Console(), FakeClock()
    app = create_app(service, store, pairing=PairingDesk(console, now=clock), care=care)
    service.closers.append(store.close)
    return WebChair(app, service, console, clock, tmp_path / "programs"), care


def test_breaks_postpone_and_skip_obey_their_limits(tmp_path: Path) -> None:
    wall = WallClock()
    chair, _ = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            assert c.post("/api/people", json={"name": "Ana"}, headers=h).status_code == 201
            q = {"person": "Ana"}
            r = c.get("/api/breaks/next", params=q, headers=h).json()
            assert r["break"] is None and r["next_due"].startswith("2026-03-02T10:00")
            wall.t += timedelta(hours=1)
            b = c.get("/api/breaks/next", params=q, headers=h).json()["break"]
            assert b["kind"] == "long" and b["exercise_card"]["svg"].startswith("<svg")
            assert b["postpones_left"] == 1 and b["postpone_reason"] is None
            r = c.post(f"/api/breaks/{b['id']}/postpone", headers=h)
            assert r.status_code == 200 and r.json()["break"] is None
            # answering the same break twice is refused, naming the field
            again = c.post(f"/api/breaks/{b['id']}/skip", headers=h)
            assert again.status_code == 404 and "break_id" in again.json()["detail"]
            wall.t += timedelta(minutes=5)
            b2 = c.get("/api/breaks/next", params=q, headers=h).json()["break"]
            assert b2["id"] != b["id"] and b2["postpones_left"] == 0
            assert b2["postpone_reason"] == "already postponed once"
            r = c.post(f"/api/breaks/{b2['id']}/postpone", headers=h)
            assert r.status_code == 409 and "postpone" in r.json()["detail"]
            assert c.post(f"/api/breaks/{b2['id']}/skip", headers=h).status_code == 200
            wall.t += timedelta(hours=1)
            b3 = c.get("/api/breaks/next", params=q, headers=h).json()["break"]
            assert b3["skips_left"] == 0 and "skipped today" in b3["skip_reason"]
            assert c.post(f"/api/breaks/{b3['id']}/skip", headers=h).status_code == 409
            assert c.post(f"/api/breaks/{b3['id']}/done", headers=h).status_code == 200
            stats = c.get("/api/breaks/stats", params=q, headers=h).json()
            assert stats[0]["offered"] == 3 and stats[0]["skipped"] == 1
            assert stats[0]["postponed"] == 1 and stats[0]["done"] == 1
            nobody = c.get("/api/breaks/next", params={"person": "Nobody"}, headers=h)
            assert nobody.status_code == 404 and nobody.json()["detail"].startswith("person")
    finally:
        chair.service.close()


def test_red_flag_holds_the_chair_until_seen_and_other_pages(tmp_path: Path) -> None:
    wall = WallClock()
    chair, _ = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            c.post("/api/people", json={"name": "Ben"}, headers=h)
            assert c.post("/api/seat", json={"name": "Ben"}, headers=h).status_code == 200
            bad = c.post("/api/diary", json={"person": "Ben", "pain": 11}, headers=h)
            assert bad.status_code == 422 and "pain" in str(bad.json()["detail"])
            bad = c.post("/api/diary", json={"person": "Ben", "pain": 3, "areas": ["x"]}, headers=h)
            assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "areas"]
            r = c.post(
                "/api/diary",
                json={"person": "Ben", "pain": 6, "red_flags": {"fever": True}},
                headers=h,
            )
            assert r.status_code == 201 and r.json()["show_only"] == "red_flag"
            refused = c.post("/api/session/start", json={"program": "quick"}, headers=h)
            assert refused.status_code == 409 and refused.json()["detail"] == HELD_REASON
            status = c.get("/api/diary/status", params={"person": "Ben"}, headers=h).json()
            assert status["red_flag_hold"] is True
            c.post("/api/diary/seen", json={"person": "Ben"}, headers=h)
            status = c.get("/api/diary/status", params={"person": "Ben"}, headers=h).json()
            assert status["red_flag_hold"] is False and status["held_reason"] is None
            # the hold is gone: what the chair says now is about the scan, not the diary
            later = c.post("/api/session/start", json={"program": "quick"}, headers=h)
            assert later.json().get("detail") != HELD_REASON

            # the health check: every question answered, or a 422 naming the answers
            form = c.get("/api/screening/form", headers=h).json()
            answers = {qn["id"]: False for qn in form["questions"]}
            partial = {"person": "Ben", "answers": dict(list(answers.items())[1:])}
            r = c.post("/api/screening", json=partial, headers=h)
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "answers"]
            r = c.post("/api/screening", json={"person": "Ben", "answers": answers}, headers=h)
            assert r.status_code == 200 and r.json()["screened"] is True
            assert r.json()["held_reason"] is None
            r = c.post(
                "/api/screening",
                json={"person": "Ben", "answers": {**answers, "implant": True}},
                headers=h,
            )
            changed = r.json()["restrictions"]
            assert changed["holds"] or changed["programs_out"] or changed["techniques_out"]

            # the other pages' data
            cards = c.get("/api/exercises", headers=h).json()
            assert len(cards) >= 20 and all(x["svg"].startswith("<svg") for x in cards)
            plan = c.get("/api/plan", params={"date": "2026-03-02"}, headers=h).json()
            assert {i["kind"] for i in plan["items"]} >= {"morning", "break", "evening"}
            bad_day = c.get("/api/plan", params={"date": "2026-13-40"}, headers=h)
            assert bad_day.status_code == 422 and bad_day.json()["detail"][0]["loc"][-1] == "date"
            ics = c.get("/api/plan.ics", params={"date": "2026-03-02"}, headers=h)
            assert ics.headers["content-type"].startswith("text/calendar")
            assert Calendar.from_ical(ics.content).walk("VEVENT")
            png = c.get("/api/diary/insight.png", params={"person": "Ben"}, headers=h)
            assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
            day = {
                "person": "Ben",
                "date": "2026-03-02",
                "sitting_s": 3600,
                "slouched_s": 600,
                "streaks": [{"start_s": 1772442000, "end_s": 1772445600}],
            }
            assert c.post("/api/posture/days", json=day, headers=h).status_code == 200
            worse = {**day, "slouched_s": 7200}
            r = c.post("/api/posture/days", json=worse, headers=h)
            assert r.status_code == 422 and "slouched_s" in r.text
            got = c.get("/api/posture/days", params={"person": "Ben"}, headers=h).json()
            assert got[0]["slouched_min"] == 10.0 and got[0]["streaks"][0]["min"] == 60.0
        # kept in the chair's database for the next start of the server
        from openchair.care.posture_store import days

        again = open_store(None, str(tmp_path))
        try:
            assert days(again, "Ben")[0].sitting_s == 3600
        finally:
            again.close()
    finally:
        chair.service.close()


def test_broken_settings_and_a_removed_person_are_4xx_not_5xx(tmp_path: Path) -> None:
    wall = WallClock()
    chair, care = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            c.post("/api/people", json={"name": "Dee"}, headers=h)
            wall.t += timedelta(hours=1, minutes=1)  # first tick: the shift starts
            c.get("/api/breaks/next", params={"person": "Dee"}, headers=h)
            wall.t += timedelta(hours=1)
            b = c.get("/api/breaks/next", params={"person": "Dee"}, headers=h).json()["break"]
            assert b is not None
            assert c.delete("/api/people/Dee", headers=h).status_code == 200
            gone = c.post(f"/api/breaks/{b['id']}/postpone", headers=h)
            assert gone.status_code == 404 and gone.json()["detail"].startswith("person")

            def broken() -> PlanSettings:
                raise SettingsError(["care.toml:3: work_start: '25:00' is not a time of day"])

            care.settings_source = broken
            c.post("/api/people", json={"name": "Eve"}, headers=h)
            for path in ("/api/breaks/next", "/api/plan"):
                r = c.get(path, params={"person": "Eve"}, headers=h)
                assert r.status_code == 409 and "work_start" in r.json()["detail"], path
    finally:
        chair.service.close()


def test_no_break_is_announced_outside_work_hours(tmp_path: Path) -> None:
    wall = WallClock(datetime(2026, 3, 2, 16, 50, tzinfo=UTC))  # Monday; work ends at 17:30
    chair, _ = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            c.post("/api/people", json={"name": "Fay"}, headers=h)
            r = c.get("/api/breaks/next", params={"person": "Fay"}, headers=h).json()
            assert r["next_due"].startswith("2026-03-02T17:50")  # as the scheduler has it
            for _ in range(3):  # after work, and on through the evening
                wall.t += timedelta(minutes=50)
                r = c.get("/api/breaks/next", params={"person": "Fay"}, headers=h).json()
                assert r["break"] is None and r["next_due"] is None
    finally:
        chair.service.close()


def test_the_posture_watcher_sends_numbers_that_add_up_over_runs(tmp_path: Path) -> None:
    from openchair.posture.events import PostureDaySummary, SittingStreak
    from openchair.web.posture_push import PushError, push_days
    from web_support import live_server

    with live_server(tmp_path, speed=None) as server:
        import httpx

        server.clock.t += 2.0
        rid = httpx.post(f"{server.url}/api/pair/request", json={"device_name": "posture"})
        code = server.console.last_code
        token = httpx.post(
            f"{server.url}/api/pair/confirm",
            json={"request_id": rid.json()["request_id"], "code": code},
        ).json()["token"]
        h = {"Authorization": f"Bearer {token}"}
        httpx.post(f"{server.url}/api/people", json={"name": "Gil"}, headers=h)
        run = PostureDaySummary(
            "2026-03-02", sitting_s=1800, slouched_s=300, nudges=1,
            streaks=[SittingStreak(1772442000.0, 1772443800.0)],
        )  # fmt: skip
        assert push_days(server.url, token, "Gil", [run]) == ["2026-03-02"]
        push_days(server.url, token, "Gil", [run])  # a second run the same day adds to it
        day = httpx.get(f"{server.url}/api/posture/days", params={"person": "Gil"}, headers=h)
        got = day.json()[0]
        assert got["sitting_min"] == 60.0 and got["slouched_min"] == 10.0
        assert got["nudges"] == 2 and len(got["streaks"]) == 2
        with pytest.raises(PushError, match="401"):
            push_days(server.url, "wrong", "Gil", [run])
        with pytest.raises(PushError, match="person"):
            push_days(server.url, token, "Nobody", [run])
        with pytest.raises(PushError, match="cannot reach"):
            push_days("http://127.0.0.1:9", token, "Gil", [run], timeout_s=2)
