"""A massage session: the state machine that turns a compiled program into frames, tick by tick.

States, per chair: idle → (scanning, a later stage) → running ⇄ paused → finishing → done, and
stopped / fault, latched by the safety supervisor until reset. Live commands (pause, resume, stop,
intensity, focus, heat, shoulder nudge) are queued and take effect at the next tick.

The session never holds the driver itself: it gets a :class:`SupervisedDriver`, whose only write
path passes the safety supervisor.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from openchair.body.bodymap import BodyMapBatch
from openchair.body.landmarks import LANDMARK_INDEX, REGION_NAMES
from openchair.control.record import Accumulator, ChairRecord, Outcome, SessionRecord
from openchair.hardware.contract import ChairDriver, Commands, Readings
from openchair.programs.compiler import RECLINE_PRESETS, CompiledProgram
from openchair.programs.model import Program, Step
from openchair.safety.driver import SupervisedDriver as SupervisedDriver
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.safety.rules import STOP_RULES
from openchair.safety.supervisor import SafetySupervisor

BoolArray = npt.NDArray[np.bool_]

FINISH_MAX_S = 20.0
"""Finishing (rollers back, cushions vented, recline upright) ends by this time at the latest."""
SHOULDER_NUDGE_STEP_MM = 10.0
SHOULDER_NUDGE_STEPS_MAX = 5
"""One shoulder command moves the shoulder line at most this many steps up or down, and all
nudges of a session together at most this many steps from where the body map put it: a scan's
shoulder is within about 25 mm, so 50 mm is room enough and keeps every landmark on the track."""
INTENSITY_STEP_MAX = 4
SHOULDER_HUNG_LANDMARKS = ("shoulder", "C7", "T1", "T2", "T3")
"""Landmarks placed from the shoulder line: a nudge of the shoulder position moves them too."""


class State(enum.IntEnum):
    IDLE = 0
    SCANNING = 1
    RUNNING = 2
    PAUSED = 3
    FINISHING = 4
    DONE = 5
    STOPPED = 6
    FAULT = 7


TERMINAL = (State.DONE, State.STOPPED, State.FAULT)
"""The terminal states are the highest values, so ``state >= State.DONE`` tests for them."""

CommandKind = Literal[
    "pause", "resume", "stop", "intensity", "focus", "heat", "shoulder", "recline", "program"
]
COMMAND_KINDS: tuple[str, ...] = get_args(CommandKind)


class CommandError(ValueError):
    """A live command that cannot be carried out; the message names the command, the value and
    what is allowed. Raised when the command is made or submitted, never inside a tick."""


@dataclass(frozen=True)
class LiveCommand:
    """A command from the person during a session. ``value``: intensity ±1, a zone (or None to
    clear the focus), heat on/off, shoulder nudge in 10 mm steps (positive = up), a recline
    preset name; ``program``: the program that replaces the running one (manual-mode changes).

    Checked when made: a command that exists is one a running session can carry out, so a bad
    value from a remote, an app or a file is refused where it comes in, not in the control
    loop in the middle of a massage."""

    kind: CommandKind
    value: int | str | bool | None = None
    program: Program | None = None

    def __post_init__(self) -> None:
        kind, value = self.kind, self.value
        if kind not in COMMAND_KINDS:
            raise CommandError(f"{kind!r} is not a command; known: {', '.join(COMMAND_KINDS)}")
        if kind in ("pause", "resume", "stop"):
            if value is not None:
                raise CommandError(f"{kind}: takes no value, got {value!r}")
        elif kind == "intensity":
            _whole_steps(kind, value, INTENSITY_STEP_MAX)
        elif kind == "shoulder":
            _whole_steps(kind, value, SHOULDER_NUDGE_STEPS_MAX)
        elif kind == "heat":
            if not isinstance(value, bool):
                raise CommandError(f"heat: {value!r} is not on or off (true or false)")
        elif kind == "focus" and value is not None:
            check_focus_zone(value)
        elif kind == "recline" and value not in RECLINE_PRESETS:
            raise CommandError(
                f"unknown recline preset {value!r}; choose one of {', '.join(RECLINE_PRESETS)}"
            )
        elif kind == "program" and self.program is None:
            raise CommandError("program: no program given")


def _whole_steps(kind: str, value: object, most: int) -> None:
    # bool is an int in Python, and NaN or 1.5 are not a number of steps.
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(f"{kind}: {value!r} is not a whole number of steps (-{most}..{most})")
    if not -most <= value <= most:
        raise CommandError(f"{kind}: {value} steps is outside -{most}..{most}")


def check_focus_zone(zone: object) -> str:
    """A zone a focus command may name: a body zone, a landmark or a landmark range, exactly as
    a program step may; raise :class:`CommandError` otherwise."""
    if not isinstance(zone, str):
        raise CommandError(f"focus: {zone!r} is not a zone name")
    try:
        Step(seconds=1, zone=zone)
    except ValidationError as err:
        msg = err.errors()[0].get("msg", "invalid zone") if err.errors() else "invalid zone"
        raise CommandError(f"focus: {str(msg).removeprefix('Value error, ')}") from None
    return zone


def with_zone(program: Program, zone: str) -> Program:
    """The same program with every roller step working ``zone`` (the person's focus)."""

    def move(step: Step) -> Step:
        if step.step is not None:
            return step.model_copy(update={"step": [move(s) for s in step.step]})
        if step.technique == "none":
            return step
        return step.model_copy(update={"zone": zone})

    return program.model_copy(update={"step": [move(s) for s in program.step]})


def nudge_shoulders(maps: BodyMapBatch, mm: float) -> BodyMapBatch:
    landmarks = maps.landmarks_y_mm.copy()
    for name in SHOULDER_HUNG_LANDMARKS:
        landmarks[:, LANDMARK_INDEX[name]] += mm
    return maps.with_landmarks(landmarks)


class Session:
    """One program on N chairs. Call :meth:`tick` once per control period."""

    def __init__(
        self,
        program: Program,
        maps: BodyMapBatch,
        driver: ChairDriver,
        *,
        intensity: int = 3,
        tick_s: float = 0.01,
        limits: SafetyLimits = DEFAULT_LIMITS,
        start_s: float = 0.0,
        compiler: type[CompiledProgram] = CompiledProgram,
        supervisor: SafetySupervisor | None = None,
    ) -> None:
        self.program = program
        self._compiler = compiler
        self.description = driver.description
        self.limits = limits
        self.tick_s = tick_s
        self.start_s = start_s
        self.maps = maps
        self.intensity = intensity
        self.focus: str | None = None
        self.heat_override: bool | None = None
        self.shoulder_nudge_mm = 0.0
        self.recline_override: tuple[float, float] | None = None
        if supervisor is None:
            supervisor = SafetySupervisor(self.description, maps, limits, session_start_s=start_s)
        else:
            # The chair's one supervisor (the service): it follows this person from now on, and
            # keeps whatever it has latched.
            supervisor.set_maps(maps)
            supervisor.begin_session(start_s)
        self._events_from = len(supervisor.events)
        self.driver = SupervisedDriver(driver, supervisor)
        # Where the rollers are now: the first step's zone is reached from here.
        self._start_y_mm = self.driver.read(start_s).carriage_y_mm.copy()
        self.compiled = self._compile()
        n = maps.batch_size
        self.batch_size = n
        self.state = np.full(n, int(State.RUNNING), dtype=np.int64)
        self.paused = False
        self.program_tick = 0
        self.ticks = 0
        self.end_s = np.full(n, np.nan)
        self.reason: list[str] = [""] * n
        self._finish_start = np.full(n, np.nan)
        self._queue: deque[LiveCommand] = deque()
        self._acc = Accumulator(maps, tick_s)
        self.last_readings: Readings | None = None
        self.last_frame: Commands | None = None
        self.last_setpoints: Commands | None = None
        """What the program asked for at the last tick, before the supervisor (for verification)."""

    # -- the person's commands ------------------------------------------------------------------

    def command(self, cmd: LiveCommand) -> None:
        """Queue a live command; it takes effect at the next tick.

        Raises :class:`CommandError` for anything but a :class:`LiveCommand` (whose values were
        checked when it was made), so nothing the loop cannot carry out is ever queued."""
        if not isinstance(cmd, LiveCommand):
            raise CommandError(f"{cmd!r} is not a live command")
        self._queue.append(cmd)

    def _apply(self, cmd: LiveCommand, now_s: float) -> None:
        if cmd.kind == "pause":
            self.paused = True
        elif cmd.kind == "resume":
            self.paused = False
        elif cmd.kind == "stop":
            self.driver.supervisor.stop(now_s=now_s)
        elif cmd.kind == "intensity":
            step = int(cmd.value or 0)
            self.intensity = int(np.clip(self.intensity + step, 1, 5))
            self.compiled = self._compile()
        elif cmd.kind == "focus":
            zone = cmd.value if isinstance(cmd.value, str) else None
            if zone is not None:
                Step(seconds=1, zone=zone)  # raises for an unknown zone before anything changes
            self.focus = zone
            self.compiled = self._compile()
        elif cmd.kind == "heat":
            self.heat_override = bool(cmd.value)
        elif cmd.kind == "shoulder":
            # Past the bound a nudge goes no further (a held button is no error mid-massage).
            most = SHOULDER_NUDGE_STEPS_MAX * SHOULDER_NUDGE_STEP_MM
            wanted = self.shoulder_nudge_mm + int(cmd.value or 0) * SHOULDER_NUDGE_STEP_MM
            mm = min(max(wanted, -most), most) - self.shoulder_nudge_mm
            if mm == 0:
                return
            self.shoulder_nudge_mm += mm
            self.maps = nudge_shoulders(self.maps, mm)
            self.driver.supervisor.set_maps(self.maps)
            self._acc.set_maps(self.maps)
            self.compiled = self._compile()
        elif cmd.kind == "recline" and isinstance(cmd.value, str):
            back, leg = RECLINE_PRESETS[cmd.value]
            d = self.description
            self.recline_override = (
                float(np.clip(back, d.backrest_angle_min_deg, d.backrest_angle_max_deg)),
                float(np.clip(leg, d.legrest_angle_min_deg, d.legrest_angle_max_deg)),
            )
        elif cmd.kind == "program" and cmd.program is not None:
            self.program = cmd.program
            self.compiled = self._compile()

    def _compile(self) -> CompiledProgram:
        program = self.program if self.focus is None else with_zone(self.program, self.focus)
        return self._compiler(
            program,
            self.maps,
            self.description,
            intensity=self.intensity,
            tick_s=self.tick_s,
            limits=self.limits,
            start_y_mm=self._start_y_mm,
        )

    # -- one tick -------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return bool(np.all(self.state >= State.DONE))

    def tick(self, now_s: float, late_s: float = 0.0) -> bool:
        """Read, decide, write through the supervisor. Returns False once every chair is done."""
        readings = self.driver.read(now_s)
        self.last_readings = readings
        while self._queue:
            self._apply(self._queue.popleft(), now_s)
        self._acc.add(
            readings,
            (self.limits.heater_sensor_min_plausible_c, self.limits.heater_sensor_max_plausible_c),
        )
        sup = self.driver.supervisor
        sup.note_tick_lateness(late_s)
        setpoints = self._setpoints(readings, now_s)
        self.last_setpoints = setpoints
        self.last_frame = self.driver.write(setpoints, readings, now_s)
        self._update_states(readings, now_s)
        self.ticks += 1
        if not self.paused:
            self.program_tick += 1
        return not self.done

    def _setpoints(self, r: Readings, now_s: float) -> Commands:
        d = self.description
        tick = min(self.program_tick, self.compiled.n_ticks - 1)
        frame = self.compiled.setpoints_at(tick)
        # The compiler's arrays are shared between frames and read-only: replace, never write.
        if self.heat_override is False:
            frame.heater_target_c = np.zeros_like(frame.heater_target_c)
        elif self.heat_override is True:
            heat = frame.heater_target_c.copy()
            heat[:, 0] = np.where(heat[:, 0] > 0, heat[:, 0], self.limits.heater_default_target_c)
            frame.heater_target_c = heat
        if self.recline_override is not None:
            back, leg = self.recline_override
            frame.backrest_angle_target_deg = np.full(self.batch_size, back)
            frame.legrest_angle_target_deg = np.full(self.batch_size, leg)
        state = self.state
        hold = (state == State.PAUSED) | (self.paused & (state == State.RUNNING))
        finishing = state == State.FINISHING
        resting = (state >= State.DONE) | (state == State.IDLE)
        if hold.any() or finishing.any() or resting.any():
            still = Commands.safe(
                d,
                self.batch_size,
                np.clip(r.carriage_y_mm, d.carriage_y_min_mm, d.carriage_y_max_mm),
                np.clip(r.backrest_angle_deg, d.backrest_angle_min_deg, d.backrest_angle_max_deg),
                np.clip(r.legrest_angle_deg, d.legrest_angle_min_deg, d.legrest_angle_max_deg),
            )
            if finishing.any():
                upright_back, upright_leg = RECLINE_PRESETS["upright"]
                back = np.clip(upright_back, d.backrest_angle_min_deg, d.backrest_angle_max_deg)
                leg = np.clip(upright_leg, d.legrest_angle_min_deg, d.legrest_angle_max_deg)
                still.backrest_angle_target_deg = np.where(
                    finishing, back, still.backrest_angle_target_deg
                )
                still.legrest_angle_target_deg = np.where(
                    finishing, leg, still.legrest_angle_target_deg
                )
            if hold.any():
                # Paused: warmth may stay on; everything that moves holds still.
                still.heater_target_c = np.where(hold[:, None], frame.heater_target_c, 0.0)
            mask = hold | finishing | resting
            for name in frame.__dataclass_fields__:
                target = getattr(frame, name)
                source = getattr(still, name)
                m = mask if target.ndim == 1 else mask[:, None]
                setattr(frame, name, np.where(m, source, target).astype(target.dtype))
        return frame

    def _update_states(self, r: Readings, now_s: float) -> None:
        sup = self.driver.supervisor
        state = self.state
        newly_latched = sup.latched & (state < State.DONE)
        for i in np.flatnonzero(newly_latched):
            rule = sup.latched_rule[i]
            if rule is not None:
                state[i] = State.STOPPED if rule in STOP_RULES else State.FAULT
                self.reason[i] = rule
                self.end_s[i] = now_s
        # The program ran out, or the session reached its auto-off: finish safely.
        ended = self.program_tick >= self.compiled.end_ticks
        to_finish = (state == State.RUNNING) & (ended | sup.finish_requested)
        if to_finish.any():
            state[to_finish] = State.FINISHING
            self._finish_start[to_finish] = now_s
            for i in np.flatnonzero(to_finish):
                self.reason[i] = (
                    "session auto-off" if sup.finish_requested[i] else "program finished"
                )
        finishing = state == State.FINISHING
        if finishing.any():
            d = self.description
            upright_back, upright_leg = RECLINE_PRESETS["upright"]
            settled = (
                (r.depth_mm < 1.0)
                & (r.air_pressure_kpa.max(axis=1) < 2.0)
                & (np.abs(r.backrest_angle_deg - max(upright_back, d.backrest_angle_min_deg)) < 1.0)
                & (np.abs(r.legrest_angle_deg - max(upright_leg, d.legrest_angle_min_deg)) < 1.0)
            )
            timed_out = now_s - self._finish_start >= FINISH_MAX_S
            done = finishing & (settled | timed_out)
            state[done] = State.DONE
            self.end_s[done] = now_s

    # -- the record -----------------------------------------------------------------------------

    def chair_outcome(self, chair: int) -> tuple[Outcome, str]:
        """How the session ended (or stands) for one chair, and why."""
        st = State(int(self.state[chair]))
        outcome = {
            State.DONE: Outcome.COMPLETED,
            State.STOPPED: Outcome.STOPPED,
            State.FAULT: Outcome.FAULT,
        }.get(st, Outcome.RUNNING)
        return outcome, self.reason[chair] or st.name.lower()

    def record(self) -> SessionRecord:
        chairs = []
        acc = self._acc
        now = self.start_s + self.ticks * self.tick_s
        for i in range(self.batch_size):
            outcome, reason = self.chair_outcome(i)
            end = self.end_s[i] if np.isfinite(self.end_s[i]) else now
            chairs.append(
                ChairRecord(
                    chair=i,
                    outcome=outcome,
                    reason=reason,
                    seconds=float(end - self.start_s),
                    seconds_by_zone={
                        r: float(acc.zone_ticks[i, j] * self.tick_s)
                        for j, r in enumerate(REGION_NAMES)
                        if acc.zone_ticks[i, j]
                    },
                    max_force_n=float(acc.max_force[i]),
                    max_depth_mm=float(acc.max_depth[i]),
                    max_pressure_kpa=float(acc.max_pressure[i]),
                    max_temp_c=float(acc.max_temp[i])
                    if np.isfinite(acc.max_temp[i])
                    else float("nan"),
                )
            )
        return SessionRecord(
            program_id=self.program.id or self.program.name,
            chairs=chairs,
            events=list(self.driver.supervisor.events[self._events_from :]),
            limits=acc.limits_dict(self.limits),
        )
