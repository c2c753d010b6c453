"""One activity on an in-process service, to the end: what ``openchair run``, ``scan`` and
``demo`` do without a running ``openchair serve``. Same service object, same loop, same
supervisor and storage as the long-running service; Ctrl-C and SIGTERM stop the chair safely
and the session is still reported (and kept) as stopped."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass

from openchair.body.bodymap import BodyMapBatch
from openchair.control.record import SessionRecord
from openchair.programs.model import Program
from openchair.safety.mapcheck import bounds_problem, compare_maps
from openchair.safety.supervisor import SafetyEvent
from openchair.service.activities import ActivityResult
from openchair.service.service import ChairService


class RefusedError(Exception):
    """The service refused a command; the message is its reason."""


@dataclass
class RunOutcome:
    scan: ActivityResult | None
    record: SessionRecord | None
    start_s: float


def _stop_on_signals(service: ChairService) -> Callable[[], None]:
    """Ctrl-C and SIGTERM: a stop, so the session ends stopped and is reported."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[object]] = set()

    def stop() -> None:
        task = loop.create_task(service.stop())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


async def scan_once(service: ChairService) -> ActivityResult:
    """Scan the seated person; raises RefusedError with the reason if it cannot begin."""
    async with service:
        remove = _stop_on_signals(service)
        try:
            answer = await service.scan()
            if not answer.accepted:
                raise RefusedError(answer.reason)
            result = await service.wait_until_idle()
        finally:
            remove()
    assert result is not None
    return result


async def selftest_once(
    service: ChairService, progress: Callable[[str], None] | None = None
) -> ActivityResult:
    """Run the self-test as the loop's activity; raises RefusedError if it cannot begin.
    ``progress`` gets the name of the part being checked, from the state frames."""
    async with service:
        remove = _stop_on_signals(service)
        sub = service.subscribe()

        async def follow() -> None:
            async for frame in sub:
                if progress is not None and frame.activity == "selftest" and frame.step_name:
                    progress(frame.step_name)

        follower = asyncio.create_task(follow())
        try:
            answer = await service.selftest()
            if not answer.accepted:
                raise RefusedError(answer.reason)
            result = await service.wait_until_idle()
        finally:
            remove()
            sub.close()
            await asyncio.gather(follower, return_exceptions=True)
    assert result is not None
    return result


async def run_once(
    service: ChairService,
    program: Program,
    *,
    intensity: int,
    maps: BodyMapBatch | None,
    scan: bool,
    on_scanned: Callable[[ActivityResult], None] | None = None,
    person: str | None = None,
    check_map: bool = False,
) -> RunOutcome:
    """Seat ``person`` (if given), scan (unless ``maps`` is given or ``scan`` is off), then run
    ``program`` to its end. ``check_map``: a given map is input, not truth; a light-contact pass
    (the scan) checks it against the person seated first, refuses a map that does not fit, and
    uses a fitting one only up to what the pass felt (``safety.mapcheck``)."""
    async with service:
        remove = _stop_on_signals(service)
        try:
            if person is not None:
                seated = await service.select_person(person)
                if not seated.accepted:
                    raise RefusedError(seated.reason)
            scanned = None
            if maps is None and scan:
                answer = await service.scan()
                if not answer.accepted:
                    raise RefusedError(answer.reason)
                scanned = await service.wait_until_idle()
                if scanned is None or not scanned.ok:
                    return RunOutcome(scanned, None, 0.0)
                if on_scanned is not None:
                    on_scanned(scanned)
            elif maps is not None and check_map:
                refused = bounds_problem(maps)
                if refused is not None:  # no pass needed to see that
                    raise RefusedError(f"the body map cannot be used: {refused}")
                answer = await service.scan()
                if not answer.accepted:
                    raise RefusedError(answer.reason)
                scanned = await service.wait_until_idle()
                if scanned is None or not scanned.ok or scanned.scan is None:
                    return RunOutcome(scanned, None, 0.0)
                check = compare_maps(maps, scanned.scan.maps())
                if not check.ok:
                    raise RefusedError(
                        f"the saved body map does not fit the person seated "
                        f"({check.mismatch[0]}): scan again"
                    )
                maps = check.maps
            answer = await service.start(program, intensity, maps=maps)
            if not answer.accepted:
                raise RefusedError(answer.reason)
            result = await service.wait_until_idle()
        finally:
            remove()
    record = result.record if result is not None else None
    start = result.start_s if result is not None else 0.0
    return RunOutcome(scanned, record, start)


def from_program_start(record: SessionRecord, start_s: float) -> SessionRecord:
    """The record with its events timed from the program's start, as openchair prints times."""
    events = [
        SafetyEvent(e.time_s - start_s, e.chair, e.rule, e.value, e.limit, e.reaction)
        for e in record.events
    ]
    return SessionRecord(record.program_id, record.chairs, events, record.limits)
