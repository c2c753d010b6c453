"""``ChairService``: the one in-process interface to the chair for every client.

The CLI, the web API and MQTT all call these ``async`` methods. Each checks what it was given
when it is called (an unknown program, zone or preset, a number out of range or not a number)
and refuses with a reason a person understands; only a well-formed command crosses to the
control thread, which decides what depends on the chair at that tick (nobody seated, a latched
fault, a session already running) and answers. A stop is always accepted and reaches the driver
on the next tick.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Sequence
from typing import Any

from pydantic import ValidationError

from openchair.body.bodymap import BodyMapBatch
from openchair.control.session import LiveCommand
from openchair.programs.compiler import RECLINE_PRESETS
from openchair.programs.loader import ProgramError, ProgramLibrary
from openchair.programs.manual import ManualSettings, manual_program
from openchair.programs.model import ZONES, Program, Step
from openchair.safety.mapcheck import bounded_without_pass, map_bounds_problem
from openchair.service.activities import ActivityResult
from openchair.service.answer import Answer
from openchair.service.frame import StateFrame
from openchair.service.gate import StartGate
from openchair.service.hub import DEFAULT_QUEUE_FRAMES, FrameHub, Subscription
from openchair.service.loop import ChairLoop
from openchair.service.people import MemoryPeople, PeopleDirectory, PersonInfo
from openchair.service.requests import (
    LiveRequest,
    PersonRequest,
    ReclineRequest,
    Request,
    ResetRequest,
    ScanRequest,
    SelfTestRequest,
    StartRequest,
    StopRequest,
    WaitRequest,
)

ANSWER_TIMEOUT_S = 5.0
INTENSITY_MIN, INTENSITY_MAX = 1, 5
SHOULDER_NUDGE_MAX_MM = 50.0
SHOULDER_NUDGE_STEP_MM = 10.0


class ChairService:
    """The chair, as every client sees it. ``open()`` starts the control thread, ``close()``
    leaves the chair safe; ``async with service:`` does both."""

    def __init__(
        self,
        loop: ChairLoop,
        *,
        programs: ProgramLibrary | None = None,
        people: PeopleDirectory | None = None,
        gates: Sequence[StartGate] = (),
    ) -> None:
        self.loop = loop
        self.gates: list[StartGate] = list(gates)
        """Asked before every program and heat-on for the seated person (health check)."""
        self.hub: FrameHub = loop.hub
        self.library = programs or ProgramLibrary()
        self.directory: PeopleDirectory = people or MemoryPeople()
        self._manual: ManualSettings | None = None
        self.closers: list[Any] = []
        """Callables run by ``close()`` after the loop has stopped (storage's writer)."""

    # -- life -----------------------------------------------------------------------------------

    def open(self) -> None:
        self.loop.start()

    def close(self) -> None:
        self.loop.halt()
        for closer in self.closers:
            closer()
        self.closers.clear()

    async def __aenter__(self) -> ChairService:
        self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.close)

    # -- reading --------------------------------------------------------------------------------

    def snapshot(self) -> StateFrame | None:
        """The latest frame (None before the first tick)."""
        return self.hub.latest

    def subscribe(self, maxlen: int = DEFAULT_QUEUE_FRAMES) -> Subscription:
        """Frames from now on (≥ 10 Hz), keeping at most ``maxlen`` unread: a slow reader
        loses the oldest, never slows the chair. Call from the asyncio loop that reads it."""
        return self.hub.subscribe(maxlen)

    def programs(self) -> list[str]:
        return self.library.ids()

    def program(self, program_id: str) -> Program:
        return self.library.get(program_id)

    async def people(self) -> list[PersonInfo]:
        return await asyncio.to_thread(self.directory.people)

    async def wait_until_idle(self) -> ActivityResult | None:
        """Wait for the running activity to end; its result (the last one if already idle)."""
        if not self.loop.running:
            return self.loop.last_result
        request = WaitRequest()
        self.loop.submit(request)
        result = await asyncio.wrap_future(request.done)
        return result if isinstance(result, ActivityResult) else None

    # -- commands -------------------------------------------------------------------------------

    async def select_person(self, name: str | None) -> Answer:
        """Who sits in the chair (None: a guest); their latest saved body map comes along."""
        maps = None
        if name is not None:
            if not isinstance(name, str):
                return Answer.refused(f"a person is named by text, not {name!r}")
            person = await asyncio.to_thread(self.directory.person, name)
            if person is None:
                known = ", ".join(p.name for p in await self.people()) or "nobody yet"
                return Answer.refused(f"unknown person {name!r}; known: {known}")
            saved = await asyncio.to_thread(self.directory.latest_map, name)
            if saved is not None:
                # Input, not truth: a stored map goes through the map check like a file does
                # (``run --body-map``); one no human body could have is never used.
                refused = map_bounds_problem(saved)
                if refused is not None:
                    return await self._ask(PersonRequest(name, None, map_refused=refused))
                maps = BodyMapBatch.from_maps([bounded_without_pass(saved)])
        return await self._ask(PersonRequest(name, maps))

    async def scan(self) -> Answer:
        return await self._ask(ScanRequest())

    async def selftest(self) -> Answer:
        """Run the service self-test (every actuator through its range) as the loop's activity;
        ``wait_until_idle()`` gives its report (``result.selftest``)."""
        return await self._ask(SelfTestRequest())

    async def start(
        self,
        program: str | Program | ManualSettings,
        intensity: int | None = None,
        *,
        maps: BodyMapBatch | None = None,
    ) -> Answer:
        """Start a built-in or user program by id, a ``Program``, or manual mode."""
        if intensity is None:
            intensity = await self._default_intensity()
        refusal = _check_intensity_value(intensity)
        if refusal:
            return refusal
        manual: ManualSettings | None = None
        if isinstance(program, ManualSettings):
            manual = program
            resolved = manual_program(program)
        elif isinstance(program, Program):
            resolved = program
        else:
            if not isinstance(program, str) or program not in self.library.ids():
                known = ", ".join(self.library.ids())
                return Answer.refused(f"unknown program {program!r}; choose one of {known}")
            try:
                resolved = await asyncio.to_thread(self.library.get, program)
            except ProgramError as err:
                return Answer.refused(f"program {program!r} cannot be used: {err.messages[0]}")
        admitted = await self._admit(resolved)
        if isinstance(admitted, Answer):
            return admitted
        answer = await self._ask(StartRequest(admitted, intensity, maps))
        if answer.accepted:
            self._manual = manual
        return answer

    async def pause(self) -> Answer:
        return await self._ask(LiveRequest(LiveCommand("pause")))

    async def resume(self) -> Answer:
        return await self._ask(LiveRequest(LiveCommand("resume")))

    async def stop(self) -> Answer:
        """Always accepted: the next frame the chair gets is the safe state, latched."""
        if not self.loop.running:
            return Answer.ok("the chair is in its safe state")
        return await self._ask(StopRequest())

    async def reset(self) -> Answer:
        """Clear a latched stop or fault once its cause is dealt with."""
        return await self._ask(ResetRequest())

    async def intensity(self, delta: int | None = None, *, value: int | None = None) -> Answer:
        """Step the intensity (``delta``, e.g. +1) or set it (``value``, 1..5)."""
        if (delta is None) == (value is None):
            return Answer.refused("give either a change (+1, -1) or a value (1..5)")
        if value is not None:
            refusal = _check_intensity_value(value)
            if refusal:
                return refusal
            return await self._ask(LiveRequest(LiveCommand("intensity", 0), intensity_to=value))
        if isinstance(delta, bool) or not isinstance(delta, int):
            return Answer.refused(f"intensity change {delta!r} is not a whole number")
        if not -(INTENSITY_MAX - 1) <= delta <= INTENSITY_MAX - 1 or delta == 0:
            return Answer.refused(f"intensity change {delta} is outside ±1..±{INTENSITY_MAX - 1}")
        return await self._ask(LiveRequest(LiveCommand("intensity", delta)))

    async def focus(self, zone: str | None) -> Answer:
        """Work one zone for the rest of the program (None: back to the program's zones)."""
        if zone is not None:
            try:
                Step(seconds=1, zone=zone)
            except (ValidationError, TypeError):
                return Answer.refused(
                    f"unknown zone {zone!r}; choose one of {', '.join(ZONES)} "
                    "or a range like 'T7..L3'"
                )
        return await self._ask(LiveRequest(LiveCommand("focus", zone)))

    async def heat(self, on: bool) -> Answer:
        if not isinstance(on, bool):
            return Answer.refused(f"heat must be on or off, not {on!r}")
        for gate in self.gates if on else ():
            refusal = await asyncio.to_thread(gate.heat_refusal, self.loop.person)
            if refusal:
                return Answer.refused(refusal)
        return await self._ask(LiveRequest(LiveCommand("heat", on)))

    async def shoulder_nudge(self, mm: float) -> Answer:
        """Move where the program thinks the shoulders are, in 10 mm steps (up positive)."""
        try:
            value = float(mm)
        except (TypeError, ValueError):
            return Answer.refused(f"shoulder nudge {mm!r} is not a number")
        if not math.isfinite(value):
            return Answer.refused("shoulder nudge is not a finite number")
        if abs(value) > SHOULDER_NUDGE_MAX_MM:
            return Answer.refused(
                f"shoulder nudge {value:g} mm is outside ±{SHOULDER_NUDGE_MAX_MM:g} mm"
            )
        steps = round(value / SHOULDER_NUDGE_STEP_MM)
        if steps == 0:
            return Answer.refused("a shoulder nudge moves in 10 mm steps; give at least 5 mm")
        return await self._ask(LiveRequest(LiveCommand("shoulder", steps)))

    async def recline(self, preset: str) -> Answer:
        if preset not in RECLINE_PRESETS:
            return Answer.refused(
                f"unknown recline preset {preset!r}; choose one of {', '.join(RECLINE_PRESETS)}"
            )
        d = self.loop.description
        back, leg = RECLINE_PRESETS[preset]
        angles = (
            min(max(back, d.backrest_angle_min_deg), d.backrest_angle_max_deg),
            min(max(leg, d.legrest_angle_min_deg), d.legrest_angle_max_deg),
        )
        return await self._ask(ReclineRequest(preset, angles))

    async def manual(self, **changes: object) -> Answer:
        """Change manual-mode settings (technique, zone, speed, width, intensity, air_zones,
        air_level, heat, foot_rollers, recline, minutes) of the running manual session."""
        current = self._manual
        if current is None:
            return Answer.refused("no manual session is running; start manual mode first")
        try:
            settings = ManualSettings.model_validate({**current.model_dump(), **changes})
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return Answer.refused(f"manual {where}: {first['msg']}")
        admitted = await self._admit(manual_program(settings))
        if isinstance(admitted, Answer):
            return admitted
        command = LiveCommand("program", program=admitted)
        answer = await self._ask(LiveRequest(command, only_program="manual"))
        if answer.accepted:
            self._manual = settings
        return answer

    # -- plumbing -------------------------------------------------------------------------------

    async def _admit(self, program: Program) -> Program | Answer:
        """Every gate's word on ``program`` for the seated person: a refusal or what to run."""
        for gate in self.gates:
            verdict = await asyncio.to_thread(gate.admit, self.loop.person, program)
            if isinstance(verdict, str):
                return Answer.refused(verdict)
            program = verdict
        return program

    async def _default_intensity(self) -> int:
        who = self.loop.person
        if who is None:
            return 3
        person = await asyncio.to_thread(self.directory.person, who)
        return person.default_intensity if person is not None else 3

    async def _ask(self, request: Request) -> Answer:
        if not self.loop.running:
            return Answer.refused("the chair service is not running")
        self.loop.submit(request)
        reply: Awaitable[Answer] = asyncio.wrap_future(request.reply)
        try:
            return await asyncio.wait_for(reply, ANSWER_TIMEOUT_S)
        except TimeoutError:
            return Answer.refused("the chair did not answer in time; try again")


def _check_intensity_value(value: object) -> Answer | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return Answer.refused(f"intensity {value!r} is not a whole number")
    if not INTENSITY_MIN <= value <= INTENSITY_MAX:
        return Answer.refused(f"intensity {value} is outside {INTENSITY_MIN}..{INTENSITY_MAX}")
    return None
