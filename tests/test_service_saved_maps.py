"""A saved body map in the service is input, not truth: the same map check as ``run --body-map``.

A person's stored map (a saved profile, edited or another person's) goes through the bounds of a
human body before the service uses it; one outside them is refused with its reason (a message,
409 on the web). One inside is trusted no further than a scan would be. Judged on the twin's
truth: the body is never pressed to its pain threshold.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from openchair.body.batch import BodyBatch
from openchair.body.bodymap import BodyMap
from openchair.body.landmarks import REGION_NAMES
from openchair.body.model import BodyParams
from openchair.control.clock import SimulatedClock
from openchair.hardware.twin import TwinChair
from openchair.programs.model import Program, Step
from openchair.safety.limits import BODY_MAP_COMFORT_FORCE_N, BODY_MAP_COMFORTABLE_DEPTH_MM
from openchair.service import ChairService, ServiceOptions, build_service
from openchair.service.loop import ChairLoop
from openchair.service.people import MemoryPeople, PersonInfo
from openchair.store.database import open_store
from openchair.store.models import BodyMapRow, Person
from openchair.store.people import add_person, map_to_json
from openchair.verify.truth import TruthPeaks
from web_support import pair, web_chair

# The stiff, sensitive, strongly curved person: the one a forged map hurts first.
SENSITIVE = dataclasses.replace(
    BodyParams(stature_mm=1450, mass_kg=42, sex="female", seed=6834),
    lordosis=1.8,
    kyphosis=1.8,
    tissue_softness=0.6,
)


def forged(true_map: BodyMap, depth_mm: float | None, force_n: float | None) -> BodyMap:
    """The person's own landmarks, every depth and force replaced (None: the highest a human
    body can have there)."""
    return dataclasses.replace(
        true_map,
        comfortable_depth_mm={
            r: depth_mm if depth_mm is not None else BODY_MAP_COMFORTABLE_DEPTH_MM[r][1]
            for r in REGION_NAMES
        },
        comfort_force_n={
            r: force_n if force_n is not None else BODY_MAP_COMFORT_FORCE_N[r][1]
            for r in REGION_NAMES
        },
        source="edited",
    )


def press(seconds: float = 20.0) -> Program:
    """Deep kneading on the lumbar, where a forged force would press hardest."""
    return Program(
        id="press",
        name="Press",
        description="knead the lumbar",
        minutes=seconds / 60.0,
        step=[Step(seconds=seconds, technique="knead", zone="lumbar", depth=1.0)],
    )


def served(params: BodyParams, saved: BodyMap) -> tuple[ChairService, TwinChair, TruthPeaks]:
    twin = TwinChair(BodyBatch.from_params([params]), seeds=[params.seed])
    peaks = TruthPeaks(twin.bodies)

    def on_tick(_loop: ChairLoop, _t: float) -> None:
        peaks.observe(twin.peek_truth())

    people = MemoryPeople([PersonInfo("Ana")])
    people.save_map("Ana", saved)
    service = build_service(
        ServiceOptions(speed=None, store=False),
        driver=twin,
        clock=SimulatedClock(),
        people=people,
        on_tick=on_tick,
    )
    return service, twin, peaks


def test_a_forged_stored_map_is_refused_with_its_reason_and_a_scan_then_works() -> None:
    """Every depth 120 mm, every force 150 N (Quick pressed an average man to 1.7× his pain
    threshold and 163 N with it): refused; after a scan the session runs within her limits."""
    twin0 = BodyBatch.from_params([SENSITIVE])
    service, _twin, peaks = served(SENSITIVE, forged(twin0.true_maps().map_at(0), 120.0, 150.0))

    async def scenario() -> None:
        async with service:
            seat = await service.select_person("Ana")
            assert seat.accepted and "saved body map was refused" in seat.reason
            start = await service.start(press(), 5)
            assert not start.accepted
            assert "refused" in start.reason and "a human body has" in start.reason
            assert "scan first" in start.reason
            assert peaks.force_n[0] == 0.0  # nothing pressed
            assert (await service.scan()).accepted
            await service.wait_until_idle()
            assert (await service.start(press(), 5)).accepted
            result = await service.wait_until_idle()
            assert result is not None and result.record is not None

    asyncio.run(scenario())
    assert 0 < peaks.force_ratio[0] < 1.0, peaks.chair(0)
    assert peaks.force_n[0] <= 150.0


def test_a_stored_map_at_the_bounds_of_a_human_body_is_bounded_below_pain() -> None:
    """Inside the bounds, yet the most robust values in every region on the most sensitive
    person: used only as far as a scan would be trusted (its forces no higher than a scan
    assumes), so the session runs, at full intensity, below her pain threshold."""
    truth = BodyBatch.from_params([SENSITIVE]).true_maps().map_at(0)
    service, _twin, peaks = served(SENSITIVE, forged(truth, None, None))

    async def scenario() -> None:
        async with service:
            seat = await service.select_person("Ana")
            assert seat.accepted and "refused" not in seat.reason
            assert (await service.start(press(), 5)).accepted
            result = await service.wait_until_idle()
            assert result is not None and result.record is not None

    asyncio.run(scenario())
    assert 0 < peaks.force_ratio[0] < 1.0, peaks.chair(0)
    assert peaks.force_n[0] <= 150.0


def test_the_web_refuses_a_session_on_a_forged_stored_map_with_409(tmp_path: Path) -> None:
    with web_chair(tmp_path) as chair:
        own = open_store(None, str(tmp_path))  # the chair's database, as another process sees it
        add_person(own, "Ana")
        body = BodyBatch.from_params([BodyParams.from_percentile(50, "male")]).true_maps()
        with own.session() as s:
            pid = s.scalars(select(Person.id).where(Person.name == "Ana")).one()
            s.add(
                BodyMapRow(
                    person_id=pid,
                    created_at=datetime.now(UTC),
                    source="edited",
                    data=map_to_json(forged(body.map_at(0), 120.0, 150.0)),
                )
            )
        own.close()
        with TestClient(chair.app) as client:
            h = pair(client, chair)
            r = client.post("/api/seat", json={"name": "Ana"}, headers=h)
            assert r.status_code == 200 and "refused" in r.json()["reason"]
            r = client.post("/api/session/start", json={"program": "quick"}, headers=h)
            assert r.status_code == 409, r.text
            detail = r.json()["detail"]
            assert "saved body map of Ana was refused" in detail and "a human body has" in detail
            time.sleep(0.1)
            state = client.get("/api/state", headers=h).json()
            assert state["state"] != "running"
