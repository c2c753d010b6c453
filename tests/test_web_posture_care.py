"""The posture day and nudges in the companion's API: the plan says what the day's posture
changed, and a posture nudge comes through the break poll like a break does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
