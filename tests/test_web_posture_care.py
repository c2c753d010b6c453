"""The posture day and nudges in the companion's API: the plan says what the day's posture
changed, and a posture nudge comes through the break poll like a break does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from openchair.care.settings import BreakRules, PlanSettings
from openchair.programs.loader import ProgramLibrary
from openchair.service.factory import ServiceOptions, build_service
from openchair.store.database import open_store
from openchair.web.app import create_app
from openchair.web.care_desk import CareDesk
from openchair.web.pairing import PairingDesk
from web_support import Console, FakeClock, WebChair, pair

WED_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@dataclass
class WallClock:
    t: datetime = WED_10

    def __call__(self) -> datetime:
        return self.t


def settings() -> PlanSettings:
    return PlanSettings(timezone="UTC", breaks=BreakRules(micro_every_minutes=0))


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


def test_the_plan_page_says_what_the_posture_day_changed(tmp_path: Path) -> None:
    chair, _ = make(tmp_path, WallClock())
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            assert c.post("/api/people", json={"name": "Ben"}, headers=h).status_code == 201
            q = {"person": "Ben", "date": "2026-11-25"}
            before = c.get("/api/plan", params=q, headers=h).json()
            assert not any("slouched" in i["reason"] for i in before["items"])
            t0 = WED_10.timestamp() - 3600
            day = {
                "person": "Ben",
                "date": "2026-11-25",
                "sitting_s": 5 * 3600,
                "slouched_s": 74 * 60,
                "away_s": 1800,
                "streaks": [{"start_s": t0, "end_s": t0 + 130 * 60}],
            }
            assert c.post("/api/posture/days", json=day, headers=h).status_code == 200
            plan = c.get("/api/plan", params=q, headers=h).json()
            reasons = {i["title"]: i["reason"] for i in plan["items"]}
            assert reasons["Evening program: after-office"].startswith(
                "You sat slouched for 74 minutes today: tonight's program"
            )
            assert reasons["Stretch after sitting"].startswith(
                "Your longest stretch of sitting today was 2 h 10 min without a break"
            )
            # another day's plan is not touched by this day's posture
            other = c.get("/api/plan", params={**q, "date": "2026-11-26"}, headers=h).json()
            assert not any("slouched" in i["reason"] for i in other["items"])
    finally:
        chair.service.close()


class _Answer:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


def test_a_recorded_slouch_reaches_the_page_once_through_the_break_poll(tmp_path: Path) -> None:
    from openchair.posture import PostureMonitor
    from openchair.web.posture_push import push_nudge
    from test_posture_monitor import calibrated, person, session

    wall = WallClock()
    chair, care = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            assert c.post("/api/people", json={"name": "Ana"}, headers=h).status_code == 201

            def send(req: Any, timeout_s: float) -> _Answer:
                path = req.full_url.split("testserver", 1)[1]
                r = c.post(path, content=req.data, headers=dict(req.header_items()))
                assert r.status_code == 200, r.text
                return _Answer(r.content)

            def poll() -> Any:
                r = c.get("/api/breaks/next", params={"person": "Ana"}, headers=h)
                return r.json()["nudge"]

            token = h["Authorization"].removeprefix("Bearer ")
            t0 = WED_10.timestamp()
            for slouch_s, expected in ((40, 0), (300, 1)):
                monitor = PostureMonitor(calibrated(), tz=UTC)
                frames = session(
                    [(60, person), (slouch_s, lambda t: person(t, drop=0.2)), (30, person)], t0
                )
                answers = [
                    push_nudge("http://testserver", token, "Ana", e, send=send)
                    for f in frames
                    for e in monitor.observe(f)
                ]
                assert [a["shown"] for a in answers] == [True] * expected
                got = poll()
                if expected:
                    assert (
                        got["title"] == "Posture check" and "head has come forward" in got["body"]
                    )
                else:
                    assert got is None
                assert poll() is None  # given once
                t0 += 3600

            # another nudge within 20 min is held back, and the answer says why
            e = {"person": "Ana", "t_s": t0, "reasons": ["slumped"], "slouched_for_s": 70}
            wall.t += timedelta(minutes=5)
            r = c.post("/api/posture/nudges", json=e, headers=h).json()
            assert r["shown"] is False and "at most one every 20 min" in r["held"]
            assert poll() is None
            # after the gap it goes through; a page that does not ask within 2 min misses it
            wall.t += timedelta(minutes=20)
            assert c.post("/api/posture/nudges", json=e, headers=h).json()["shown"] is True
            wall.t += timedelta(minutes=3)
            assert poll() is None
            # while a movement break waits, the break is the reminder
            wall.t = WED_10 + timedelta(hours=1, minutes=2)  # the 11:00 break waits
            assert c.get("/api/breaks/next", params={"person": "Ana"}, headers=h).json()["break"]
            r = c.post("/api/posture/nudges", json=e, headers=h).json()
            assert r == {**r, "shown": False, "held": "a movement break is waiting"}
            # outside working hours: nothing
            wall.t = WED_10 + timedelta(hours=10)
            r = c.post("/api/posture/nudges", json=e, headers=h).json()
            assert r["held"] == "outside working hours"
            # bad input is refused with the field named; an unknown person is 404
            bad = c.post("/api/posture/nudges", json={**e, "reasons": ["lazy"]}, headers=h)
            assert bad.status_code == 422 and "reasons" in bad.text
            nobody = c.post("/api/posture/nudges", json={**e, "person": "Zed"}, headers=h)
            assert nobody.status_code == 404
            assert care.take_nudge("Ana") is None
    finally:
        chair.service.close()


def test_time_away_seen_by_the_posture_monitor_counts_toward_the_movement_break(
    tmp_path: Path,
) -> None:
    wall = WallClock()
    chair, _ = make(tmp_path, wall)
    chair.service.open()
    try:
        with TestClient(chair.app) as c:
            h = pair(c, chair)
            for name in ("Ana", "Bo"):
                assert c.post("/api/people", json={"name": name}, headers=h).status_code == 201

            def next_for(name: str) -> Any:
                return c.get("/api/breaks/next", params={"person": name}, headers=h).json()

            assert next_for("Ana")["next_due"].startswith("2026-11-25T11:00")
            assert next_for("Bo")["next_due"].startswith("2026-11-25T11:00")
            # Ana leaves at 10:20 and is back at 10:27, with no page asking meanwhile
            left = WED_10 + timedelta(minutes=20)
            wall.t = left + timedelta(seconds=5)
            away = {"person": "Ana", "away": True, "t_s": left.timestamp()}
            r = c.post("/api/posture/presence", json=away, headers=h)
            assert r.status_code == 200 and r.json()["away_since"].startswith("2026-11-25T10:20")
            wall.t = WED_10 + timedelta(minutes=27)
            back = {"person": "Ana", "away": False, "t_s": wall.t.timestamp()}
            assert (
                c.post("/api/posture/presence", json=back, headers=h).json()["away_since"] is None
            )
            # a natural break: her hour starts again, Bo's does not
            assert next_for("Ana")["next_due"] > "2026-11-25T11:20"
            assert next_for("Bo")["next_due"].startswith("2026-11-25T11:00")
            wall.t = WED_10 + timedelta(hours=1, minutes=1)
            assert next_for("Ana")["break"] is None and next_for("Bo")["break"] is not None
            stats = c.get("/api/breaks/stats", params={"person": "Ana"}, headers=h).json()
            assert stats[0]["natural"] == 1
            # two minutes away is not a break
            wall.t += timedelta(minutes=1)
            away = {"person": "Ana", "away": True, "t_s": wall.t.timestamp()}
            c.post("/api/posture/presence", json=away, headers=h)
            wall.t += timedelta(minutes=2)
            back = {"person": "Ana", "away": False, "t_s": wall.t.timestamp()}
            c.post("/api/posture/presence", json=back, headers=h)
            stats = c.get("/api/breaks/stats", params={"person": "Ana"}, headers=h).json()
            assert stats[0]["natural"] == 1
            nobody = c.post("/api/posture/presence", json={**back, "person": "Zed"}, headers=h)
            assert nobody.status_code == 404
    finally:
        chair.service.close()
