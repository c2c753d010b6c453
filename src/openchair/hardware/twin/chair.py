"""The digital twin: a batched physics model of massage chairs with people seated in them.

It satisfies the driver contract (:class:`~openchair.hardware.contract.ChairDriver`): everything
above it sees only ``Commands`` going in and ``Readings`` coming out. All state is arrays with a
leading batch dimension, stepped together in fixed ``physics_dt_s`` steps; nothing loops over
chairs. Time comes from the caller (``now_s``), never from a wall clock.

Verification steps a thousand chairs every tick, so the step is written for few numpy calls:
work that cannot change anything this tick (tapping when no chair taps, air when no cushion is
asked for and none holds pressure, fault branches while no fault is injected) is skipped, which
leaves every number exactly as the full computation would. Per-chair arrays with a column per
air zone or heater are kept column-major (Fortran order), and so are the readings and truth made
from them: reducing over the columns (``.max(axis=1)``, ``.any(axis=1)``, as the supervisor and
the verifier do every tick) is then a few passes over contiguous columns instead of a thousand
tiny reductions, about 20 times faster for N = 1000, with the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from openchair.body.batch import BodyBatch
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.hardware.contract import (
    BoardFault,
    ChairDescription,
    CommandRangeError,
    Commands,
    Readings,
    TapMode,
)
from openchair.hardware.twin.faults import (
    DEFAULT_HEATER,
    DEFAULT_ZONE,
    PER_HEATER,
    PER_ZONE,
    TwinFault,
    parse_fault,
)
from openchair.hardware.twin.noise import CounterNoise

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
ChairSelector = int | Sequence[int] | None


@dataclass(frozen=True)
class TwinPhysics:
    """Model parameters of the twin; docs/TWIN.md explains each."""

    depth_accel_mm_s2: float = 300.0
    width_accel_mm_s2: float = 300.0
    force_noise_n: float = 1.0
    position_noise_mm: float = 0.2
    shoulder_band_mm: float = 15.0
    shoulder_offset_sd_mm: float = 3.0
    pump_rate_kpa_s: float = 30.0
    vent_rate_per_s: float = 1.5
    leak_rate_per_s: float = 0.01
    valve_hysteresis_kpa: float = 0.5
    pressure_noise_kpa: float = 0.05
    ambient_c: float = 22.0
    heater_rate_c_s: float = 0.15
    heater_cooling_tau_s: float = 300.0
    heater_hysteresis_c: float = 0.5
    sensor_lag_tau_s: float = 8.0
    temp_noise_c: float = 0.05
    sensor_open_c: float = -40.0
    sensor_shorted_c: float = 150.0
    recline_current_moving_a: float = 1.0
    recline_current_idle_a: float = 0.05
    recline_current_stalled_a: float = 4.5
    current_noise_a: float = 0.03
    encoder_glitch_probability: float = 0.02
    encoder_glitch_mm: float = 200.0
    lean_forward_mm: float = 150.0
    heater_power_factor: float = 1.0
    """Heater power against nominal (mains voltage alone moves it by ±20 %): scales both the
    heating rate and the heater current."""


# Noise channels, one column each in the counter-noise draw.
_CH_FORCE_L, _CH_FORCE_R, _CH_Y, _CH_DEPTH, _CH_WIDTH, _CH_CUR_B, _CH_CUR_L, _CH_SHOULDER = range(8)
_CH_GLITCH = 8
_CH_TEMP0 = 9  # then one channel per heater, then one per air zone
_Z_TEMP0 = _CH_SHOULDER
"""In the per-tick sensing draw (every channel but the shoulder's and the glitch's, which are not
drawn per tick), the heaters' column follows the currents' directly."""


@dataclass(frozen=True)
class TwinTruth:
    """Hidden state for tests and the verifier only; controller code never reads it."""

    force_left_n: FloatArray
    force_right_n: FloatArray
    carriage_y_mm: FloatArray
    depth_mm: FloatArray
    heater_temp_c: FloatArray
    air_pressure_kpa: FloatArray
    shoulder_y_mm: FloatArray
    in_safe_state: BoolArray
    supply_open: BoolArray
    """No actuator has power (the relay opened, and its contacts were not welded)."""
    cutout_open: BoolArray
    """(N, n_heaters) heaters whose thermal cut-out has opened (for good)."""


class TwinChair:
    """N simulated chairs, each with its own seated body. See the module docstring."""

    def __init__(
        self,
        bodies: BodyBatch,
        *,
        description: ChairDescription | None = None,
        seeds: Sequence[int] | None = None,
        start_time_s: float = 0.0,
        physics_dt_s: float = 0.01,
        physics: TwinPhysics | None = None,
    ) -> None:
        if physics_dt_s <= 0 or physics_dt_s > 0.05:
            raise ValueError(f"physics_dt_s: {physics_dt_s:g} is outside (0, 0.05] s")
        self._desc = description or ChairDescription()
        self._p = physics or TwinPhysics()
        self._bodies = bodies
        n = bodies.batch_size
        self._n = n
        seed_list = list(range(n)) if seeds is None else [int(s) for s in seeds]
        if len(seed_list) != n:
            raise ValueError(f"seeds: {len(seed_list)} given for {n} chairs")
        if any(s < 0 for s in seed_list):
            raise ValueError("seeds must be non-negative integers")
        d = self._desc
        self._ch_air0 = _CH_TEMP0 + d.n_heaters
        self._noise = CounterNoise(seed_list, self._ch_air0 + d.n_air_zones)
        self._sensor_noise = self._noise.subset(
            [*range(_CH_SHOULDER), *range(_CH_TEMP0, self._ch_air0 + d.n_air_zones)]
        )
        self._z_air0 = _Z_TEMP0 + d.n_heaters
        self._dt = physics_dt_s
        self._back_speed = (d.backrest_angle_max_deg - d.backrest_angle_min_deg) / (
            d.recline_full_travel_s
        )
        self._leg_speed = (d.legrest_angle_max_deg - d.legrest_angle_min_deg) / (
            d.recline_full_travel_s
        )
        self._t0 = start_time_s
        self._tick = 0
        self._rows = np.arange(n)
        # Mechanics.
        self._y = np.zeros(n)
        self._vy = np.zeros(n)
        self._depth = np.zeros(n)
        self._vdepth = np.zeros(n)
        self._width = np.full(n, (d.width_min_mm + d.width_max_mm) / 2)
        self._vwidth = np.zeros(n)
        self._knead_phase = np.zeros(n)
        self._tap_phase = np.zeros(n)
        self._backrest = np.full(n, d.backrest_angle_min_deg)
        self._legrest = np.full(n, d.legrest_angle_min_deg)
        self._backrest_moving = np.zeros(n, dtype=bool)
        self._legrest_moving = np.zeros(n, dtype=bool)
        self._legrest_stalled = np.zeros(n, dtype=bool)
        # Air and heat, column-major (see the module docstring).
        self._pressure = np.zeros((n, d.n_air_zones), order="F")
        self._air_at_rest = True
        """Every pressure is exactly 0: with no target either, the air step changes nothing."""
        self._heater_temp = np.full((n, d.n_heaters), self._p.ambient_c, order="F")
        self._sensor_temp = self._heater_temp.copy(order="F")
        self._heater_on = np.zeros((n, d.n_heaters), dtype=bool, order="F")
        self._heat_at_rest = True
        """Heaters off, every temperature exactly ambient: the heat step changes nothing."""
        # Person and handset.
        self._shoulder_y = bodies.landmarks_y_mm[:, LANDMARK_INDEX["shoulder"]].copy()
        self._shoulder_offset = self._p.shoulder_offset_sd_mm * self._noise.normal(0)[
            :, _CH_SHOULDER
        ].clip(-3, 3)
        self._shoulder_at_mm = self._shoulder_y + self._shoulder_offset
        """Where the shoulder sensor sees the shoulder: fixed while the person sits."""
        self._stop_pressed = np.zeros(n, dtype=bool)
        # Board.
        self._frame = Commands.safe(d, n)
        self._last_frame_s = np.full(n, start_time_s)
        self._oldest_frame_s = start_time_s
        """``_last_frame_s.min()``: no watchdog trips before this plus the timeout."""
        self._watchdog = np.zeros(n, dtype=bool)
        self._true_force = np.zeros((n, 2), order="F")
        self._zero_forces = np.zeros((n, 2), order="F")
        self._zero_pressures = np.zeros((n, d.n_air_zones), order="F")
        """Zeros to clip readings at: numpy's loop for an array and a scalar is not vectorised,
        and takes twice as long as for two arrays."""
        # Faults.
        self._faults: dict[TwinFault, BoolArray] = {
            f: np.zeros(n, dtype=bool) for f in TwinFault if f not in PER_HEATER | PER_ZONE
        }
        self._heater_faults: dict[TwinFault, BoolArray] = {
            f: np.zeros((n, d.n_heaters), dtype=bool, order="F") for f in PER_HEATER
        }
        self._valve_stuck = np.zeros((n, d.n_air_zones), dtype=bool, order="F")
        self._stuck_temp = np.zeros((n, d.n_heaters), order="F")
        self._any_fault = False
        # Protective devices.
        self._supply_open = np.zeros(n, dtype=bool)
        self._any_supply_open = False
        self._cutout_open = np.zeros((n, d.n_heaters), dtype=bool, order="F")
        self._heater_powered = np.zeros((n, d.n_heaters), dtype=bool, order="F")

    # -- the driver contract -------------------------------------------------------------------

    @property
    def description(self) -> ChairDescription:
        return self._desc

    @property
    def batch_size(self) -> int:
        return self._n

    @property
    def time_s(self) -> float:
        return self._t0 + self._tick * self._dt

    def open(self) -> None:
        """Nothing to connect: the twin is ready once built (opening again is harmless)."""

    def read(self, now_s: float) -> Readings:
        self._advance_to(now_s)
        return self._sense()

    def write(self, commands: Commands, now_s: float) -> None:
        self._advance_to(now_s)
        self._accept(commands)

    def step(self, commands: Commands) -> Readings:
        """Simulation fast path: accept a frame, advance one physics step, sense."""
        self._accept(commands)
        self._step()
        return self._sense()

    def close(self) -> None:
        self._frame = self._safe_frame()

    # -- test and demo hooks (not part of the contract) -----------------------------------------

    def inject(
        self, fault: TwinFault | str, chairs: ChairSelector = None, target: str | None = None
    ) -> None:
        """Give some chairs (``None``: all) a fault. ``target`` names a heater or an air zone."""
        f = parse_fault(fault)
        mask = self._chair_mask(chairs)
        if f in PER_HEATER:
            col = self._desc.heater_index(target or DEFAULT_HEATER)
            self._heater_faults[f][mask, col] = True
            if f is TwinFault.TEMP_SENSOR_STUCK:
                self._stuck_temp[mask, col] = self._sensor_temp[mask, col]
        elif f in PER_ZONE:
            self._valve_stuck[mask, self._desc.air_zone_index(target or DEFAULT_ZONE)] = True
        else:
            if target is not None:
                raise ValueError(f"fault {f.value!r} takes no target (got {target!r})")
            self._faults[f][mask] = True
        self._any_fault = True

    def clear(self, fault: TwinFault | str, chairs: ChairSelector = None) -> None:
        f = parse_fault(fault)
        mask = self._chair_mask(chairs)
        if f in PER_HEATER:
            self._heater_faults[f][mask] = False
        elif f in PER_ZONE:
            self._valve_stuck[mask] = False
        else:
            self._faults[f][mask] = False

    def active_faults(self, chair: int) -> frozenset[TwinFault]:
        active = {f for f, m in self._faults.items() if m[chair]}
        active |= {f for f, m in self._heater_faults.items() if m[chair].any()}
        if self._valve_stuck[chair].any():
            active.add(TwinFault.VALVE_STUCK)
        return frozenset(active)

    def press_stop_button(self, pressed: bool = True, chairs: ChairSelector = None) -> None:
        self._stop_pressed[self._chair_mask(chairs)] = pressed

    def peek_truth(self) -> TwinTruth:
        """The hidden state without copies, for the verifier's per-tick checks.

        The arrays are the twin's own: read them before the next step and never write to them.
        """
        return TwinTruth(
            force_left_n=self._true_force[:, 0],
            force_right_n=self._true_force[:, 1],
            carriage_y_mm=self._y,
            depth_mm=self._depth,
            heater_temp_c=self._heater_temp,
            air_pressure_kpa=self._pressure,
            shoulder_y_mm=self._shoulder_y,
            in_safe_state=self._watchdog,
            supply_open=self._supply_open,
            cutout_open=self._cutout_open,
        )

    @property
    def bodies(self) -> BodyBatch:
        """The seated bodies (the twin's truth; controller code never reads it)."""
        return self._bodies

    @property
    def truth(self) -> TwinTruth:
        """The hidden state as copies, safe to keep across steps (tests)."""
        peek = self.peek_truth()
        return TwinTruth(**{f.name: getattr(peek, f.name).copy() for f in fields(TwinTruth)})

    # -- internals ------------------------------------------------------------------------------

    def _chair_mask(self, chairs: ChairSelector) -> BoolArray:
        mask = np.zeros(self._n, dtype=bool)
        if chairs is None:
            mask[:] = True
            return mask
        idx = np.atleast_1d(np.asarray(chairs, dtype=np.int64))
        if idx.size and (idx.min() < 0 or idx.max() >= self._n):
            raise ValueError(f"chairs: {idx.tolist()} outside 0..{self._n - 1}")
        mask[idx] = True
        return mask

    def _safe_frame(self) -> Commands:
        return Commands.safe(self._desc, self._n, self._y, self._backrest, self._legrest)

    def _accept(self, commands: Commands) -> None:
        if commands.batch_size != self._n:
            raise CommandRangeError(
                f"frame is for {commands.batch_size} chairs, this twin has {self._n}"
            )
        commands.validate(self._desc)
        lost = self._faults[TwinFault.LOST_COMMANDS]
        if not (self._any_fault and lost.any()):
            self._frame = commands.copy()
            self._last_frame_s.fill(self.time_s)
            self._oldest_frame_s = self.time_s
            self._watchdog.fill(False)
            return
        keep = ~lost
        frame = self._frame
        for name in frame.__dataclass_fields__:
            ours = getattr(frame, name)
            theirs = getattr(commands, name)
            ours[keep] = theirs[keep]
        self._last_frame_s[keep] = self.time_s
        self._oldest_frame_s = float(self._last_frame_s.min())
        self._watchdog[keep] = False

    def _advance_to(self, now_s: float) -> None:
        if not math.isfinite(now_s):
            raise ValueError(f"now_s: {now_s!r} is not a finite time")
        target_tick = math.floor((now_s - self._t0) / self._dt + 1e-9)
        while self._tick < target_tick:
            self._step()

    def _step(self) -> None:
        d, p, dt = self._desc, self._p, self._dt
        self._tick += 1
        # The oldest frame is the first to time out: one float comparison instead of three array
        # passes, every tick, while all watchdogs are fed.
        if self.time_s - self._oldest_frame_s >= d.watchdog_timeout_s - 1e-9:
            self._trip_watchdogs()
        f = self._frame
        if self._any_supply_open or f.supply_off.any() or self._watchdog.any():
            f = self._supply(f)
        # Carriage, depth, width: trapezoidal moves within speed and acceleration limits.
        y, self._vy = _move(
            self._y,
            self._vy,
            f.carriage_y_target_mm,
            f.carriage_speed_limit_mm_s,
            d.carriage_accel_max_mm_s2,
            dt,
        )
        self._y = _clip(y, d.carriage_y_min_mm, d.carriage_y_max_mm)
        depth_target = f.depth_target_mm
        if self._any_fault and self._faults[TwinFault.DEPTH_MOTOR_RUNAWAY].any():
            runaway = self._faults[TwinFault.DEPTH_MOTOR_RUNAWAY] & ~self._supply_open
            depth_target = np.where(runaway, d.depth_max_mm, depth_target)
        depth, self._vdepth = _move(
            self._depth,
            self._vdepth,
            depth_target,
            d.depth_speed_max_mm_s,
            p.depth_accel_mm_s2,
            dt,
        )
        self._depth = _clip(depth, 0.0, d.depth_max_mm)
        if not _settled(self._width, self._vwidth, f.width_target_mm):
            self._width, self._vwidth = _move(
                self._width,
                self._vwidth,
                f.width_target_mm,
                d.width_speed_max_mm_s,
                p.width_accel_mm_s2,
                dt,
            )
        # Kneading and tapping phases (cycles). A phase in [0, 1) plus 0.0, modulo 1, is itself:
        # with no chair kneading (tapping) the update changes nothing and is skipped.
        kneading = bool(f.knead_speed_cpm.any())
        if kneading:
            self._knead_phase = _wrap_cycle(self._knead_phase + f.knead_speed_cpm / 60.0 * dt)
        tapping = bool(f.tap_rate_hz.any())
        if tapping:
            self._tap_phase = _wrap_cycle(self._tap_phase + f.tap_rate_hz * dt)
        self._contact_forces(kneading, tapping, f)
        self._recline(dt, f)
        self._air(dt, f)
        self._heat(dt, f)

    def _supply(self, f: Commands) -> Commands:
        """The supply relay: opened by the frame or by the watchdog some time after it tripped,
        unless its contacts are welded. Unpowered, every motor stops where it is (the gears hold:
        rollers stay at their depth, kneading and tapping heads where they are), the pump stops,
        the valves fall open and vent, and no heater is powered. Returns the frame the chair's
        actuators actually follow."""
        d = self._desc
        opened = f.supply_off.copy()
        if self._watchdog.any():
            opened |= self._watchdog & (
                self.time_s - self._last_frame_s >= d.watchdog_timeout_s + d.watchdog_supply_cut_s
            )
        if not d.supply_relay:
            opened[:] = False
        if self._any_fault:
            opened &= ~self._faults[TwinFault.SUPPLY_RELAY_WELDED]
        self._supply_open = opened
        self._any_supply_open = bool(opened.any())
        if not self._any_supply_open:
            return f
        held = Commands.safe(self._desc, self._n, self._y, self._backrest, self._legrest)
        held.depth_target_mm = self._depth.copy()
        held.width_target_mm = self._width.copy()
        # Kneading and tapping heads stay where they are: a speed too small to move the phase,
        # but not 0, so their stroke still presses.
        held.knead_speed_cpm = np.where(f.knead_speed_cpm > 0, 1e-300, 0.0)
        held.tap_rate_hz = np.where(f.tap_rate_hz > 0, 1e-300, 0.0)
        held.tap_mode = f.tap_mode.copy()
        out = f.copy()
        out.overlay(held, opened)
        self._vy = np.where(opened, 0.0, self._vy)
        self._vdepth = np.where(opened, 0.0, self._vdepth)
        self._vwidth = np.where(opened, 0.0, self._vwidth)
        return out

    def _trip_watchdogs(self) -> None:
        """Chairs without a frame for the watchdog timeout go to the safe state and stay there."""
        tripped = (self.time_s - self._last_frame_s) >= self._desc.watchdog_timeout_s - 1e-9
        newly = tripped & ~self._watchdog
        if newly.any():
            safe = self._safe_frame()
            safe.supply_off = self._frame.supply_off  # an opened supply relay stays open
            for name in self._frame.__dataclass_fields__:
                getattr(self._frame, name)[newly] = getattr(safe, name)[newly]
        self._watchdog |= tripped

    def _contact_forces(self, kneading: bool, tapping: bool, f: Commands) -> None:
        """Both rollers' true force, from one lookup of each body's profiles at the carriage.

        Without tapping both rollers reach equally far (the tap term is exactly 0.0 and the reach
        before it is never -0.0, so adding it changes no bit) and share one protrusion; the lean
        and the empty seat only apply while a fault is injected.
        """
        p, d = self._p, self._desc
        knead: FloatArray | float = 0.0
        if kneading:
            knead = np.where(
                f.knead_speed_cpm > 0,
                d.knead_depth_amplitude_mm * np.sin(2 * np.pi * self._knead_phase),
                0.0,
            )
        reach = self._depth + knead
        if tapping:
            alternate = (f.tap_mode == int(TapMode.ALTERNATE))[:, None]
            shift = np.where(alternate, _TAP_SHIFT_BY_SIDE, 0.0)
            pulse = np.maximum(np.sin(2 * np.pi * (self._tap_phase[:, None] + shift)), 0.0) ** 4
            tap = np.where((f.tap_rate_hz > 0)[:, None], d.tap_depth_amplitude_mm * pulse, 0.0)
            reach = reach[:, None] + tap
        if self._any_fault:
            leaning = self._faults[TwinFault.OCCUPANT_LEANS_FORWARD]
            lean = np.where(leaning, p.lean_forward_mm, 0.0)
            reach = reach - (lean[:, None] if tapping else lean)
        force = self._bodies.roller_force_n(self._y, np.maximum(reach, 0.0))
        if self._any_fault:
            occupied = ~self._faults[TwinFault.OCCUPANT_LEAVES]
            force = np.where(occupied[:, None], force, 0.0)
        self._true_force = np.asfortranarray(force)  # like the noise it is read with

    def _recline(self, dt: float, f: Commands) -> None:
        """Backrest and legrest toward their targets; a joint already there (the usual case
        during a program) takes no step, does not move and cannot stall."""
        n = self._n
        if (f.backrest_angle_target_deg != self._backrest).any():
            step_b = _clip(
                f.backrest_angle_target_deg - self._backrest,
                -self._back_speed * dt,
                self._back_speed * dt,
            )
            self._backrest = self._backrest + step_b
            self._backrest_moving = np.abs(step_b) > 1e-9
        else:
            self._backrest_moving = np.zeros(n, dtype=bool)
        if (f.legrest_angle_target_deg != self._legrest).any():
            step_l = _clip(
                f.legrest_angle_target_deg - self._legrest,
                -self._leg_speed * dt,
                self._leg_speed * dt,
            )
            blocked = np.zeros(n, dtype=bool)
            if self._any_fault:
                blocked = self._faults[TwinFault.LEGREST_OBSTRUCTION] & (step_l < 0)
                step_l = np.where(blocked, 0.0, step_l)
            self._legrest = self._legrest + step_l
            self._legrest_moving = np.abs(step_l) > 1e-9
            self._legrest_stalled = blocked
        else:
            self._legrest_moving = np.zeros(n, dtype=bool)
            self._legrest_stalled = np.zeros(n, dtype=bool)

    def _air(self, dt: float, f: Commands) -> None:
        p = self._p
        if self._air_at_rest and not f.air_pressure_target_kpa.any():
            return  # nothing inflates, vents or leaks: every pressure stays exactly 0
        self._air_at_rest = False
        target = np.asfortranarray(f.air_pressure_target_kpa)
        inflating = (target > self._pressure + p.valve_hysteresis_kpa) & ~self._valve_stuck
        venting = (target < self._pressure - p.valve_hysteresis_kpa) & ~self._valve_stuck
        n_inflating = inflating.sum(axis=1, keepdims=True)
        pump_ok = ~(self._faults[TwinFault.PUMP_DEAD] | self._supply_open)[:, None]
        share = np.where(n_inflating > 0, p.pump_rate_kpa_s / np.maximum(n_inflating, 1), 0.0)
        rise = np.where(inflating & pump_ok, share * dt, 0.0)
        fall = np.where(venting, self._pressure * p.vent_rate_per_s * dt, 0.0)
        leak = self._pressure * p.leak_rate_per_s * dt
        self._pressure = _clip(
            self._pressure + rise - fall - leak, 0.0, self._desc.air_pressure_max_kpa
        )

    def _heat(self, dt: float, f: Commands) -> None:
        p = self._p
        if (
            self._heat_at_rest
            and not f.heater_target_c.any()
            and not (self._any_fault and self._heater_faults[TwinFault.HEATER_RELAY_STUCK_ON].any())
        ):
            return  # no heater powered, all at ambient: no temperature changes
        self._heat_at_rest = False
        target = np.asfortranarray(f.heater_target_c)
        on_wanted = target > 0
        turn_on = on_wanted & (self._heater_temp < target - p.heater_hysteresis_c)
        turn_off = ~on_wanted | (self._heater_temp > target + p.heater_hysteresis_c)
        self._heater_on = (self._heater_on | turn_on) & ~turn_off
        powered = self._heater_on | self._heater_faults[TwinFault.HEATER_RELAY_STUCK_ON]
        powered &= ~self._cutout_open
        if self._any_supply_open:
            powered &= ~self._supply_open[:, None]
        self._heater_powered = powered
        self._heater_temp = self._heater_temp + dt * (
            np.where(powered, p.heater_rate_c_s * p.heater_power_factor, 0.0)
            - (self._heater_temp - p.ambient_c) / p.heater_cooling_tau_s
        )
        self._sensor_temp += (self._heater_temp - self._sensor_temp) * (dt / p.sensor_lag_tau_s)
        cutout = self._desc.heater_cutout_c
        if cutout is not None:
            # The cut-out sits on the heater and opens for good once it reaches its temperature.
            trip = self._heater_temp >= cutout
            if self._any_fault:
                trip &= ~self._heater_faults[TwinFault.THERMAL_CUTOUT_FAILED]
            self._cutout_open |= trip

    def _sense(self) -> Readings:
        p = self._p
        z = self._sensor_noise.normal(self._tick)  # column-major: each channel is contiguous
        touching = self._true_force > 0.0
        force = self._true_force + p.force_noise_n * z[:, _CH_FORCE_L : _CH_FORCE_R + 1] * touching
        np.maximum(force, self._zero_forces, out=force)
        y = self._y + p.position_noise_mm * z[:, _CH_Y]
        shoulder = np.abs(self._y - self._shoulder_at_mm) <= p.shoulder_band_mm
        temps = self._sensor_temp + p.temp_noise_c * z[:, _Z_TEMP0 : self._z_air0]
        leg_current = np.where(
            self._legrest_moving, p.recline_current_moving_a, p.recline_current_idle_a
        )
        occupied = ~self._faults[TwinFault.OCCUPANT_LEAVES]
        if self._any_fault:
            force[self._faults[TwinFault.FORCE_SENSOR_DEAD]] = 0.0
            y = self._encoder_glitches(y)
            shoulder &= occupied
            temps = self._broken_temp_sensors(temps)
            leg_current = np.where(self._legrest_stalled, p.recline_current_stalled_a, leg_current)
        pressures = self._pressure + p.pressure_noise_kpa * z[:, self._z_air0 :]
        np.maximum(pressures, self._zero_pressures, out=pressures)
        back_current = np.where(
            self._backrest_moving, p.recline_current_moving_a, p.recline_current_idle_a
        ) + p.current_noise_a * np.abs(z[:, _CH_CUR_B])
        leg_current = leg_current + p.current_noise_a * np.abs(z[:, _CH_CUR_L])
        return Readings(
            time_s=self.time_s,
            carriage_y_mm=y,
            depth_mm=self._depth + p.position_noise_mm * z[:, _CH_DEPTH],
            width_mm=self._width + p.position_noise_mm * z[:, _CH_WIDTH],
            force_left_n=force[:, 0].copy(),
            force_right_n=force[:, 1].copy(),
            shoulder_sensor=shoulder,
            air_pressure_kpa=pressures,
            heater_temp_c=temps,
            backrest_angle_deg=self._backrest.copy(),
            legrest_angle_deg=self._legrest.copy(),
            backrest_current_a=back_current,
            legrest_current_a=leg_current,
            occupied=occupied,
            stop_button=self._stop_pressed.copy(),
            fault_flags=self._fault_flags(),
            heater_current_a=self._heater_currents(),
        )

    def _heater_currents(self) -> FloatArray:
        """Each heater's current: nominal × power factor while powered, else 0 (a board that
        senses no heater current reports an empty array)."""
        nominal = self._desc.heater_current_a
        if nominal <= 0:
            return np.zeros((self._n, 0))
        return np.where(self._heater_powered, nominal * self._p.heater_power_factor, 0.0)

    def _encoder_glitches(self, y: FloatArray) -> FloatArray:
        p = self._p
        if not self._faults[TwinFault.ENCODER_GLITCH].any():
            return y
        u = self._noise.uniform(self._tick)[:, _CH_GLITCH]
        glitch = self._faults[TwinFault.ENCODER_GLITCH] & (u < p.encoder_glitch_probability)
        return y + np.where(glitch, np.where(u < p.encoder_glitch_probability / 2, 1, -1), 0) * (
            p.encoder_glitch_mm
        )

    def _broken_temp_sensors(self, temps: FloatArray) -> FloatArray:
        p, hf = self._p, self._heater_faults
        temps = np.where(hf[TwinFault.TEMP_SENSOR_OPEN], p.sensor_open_c, temps)
        temps = np.where(hf[TwinFault.TEMP_SENSOR_SHORTED], p.sensor_shorted_c, temps)
        return np.where(hf[TwinFault.TEMP_SENSOR_STUCK], self._stuck_temp, temps)

    def _fault_flags(self) -> IntArray:
        stalled = self._legrest_stalled
        if not (self._watchdog.any() or stalled.any() or self._any_supply_open):
            return np.zeros(self._n, dtype=np.int64)
        flags = np.where(self._watchdog, int(BoardFault.WATCHDOG | BoardFault.SAFE_STATE), 0)
        flags = flags | np.where(stalled, int(BoardFault.RECLINE_OVERCURRENT), 0)
        flags = flags | np.where(self._supply_open, int(BoardFault.SUPPLY_OPEN), 0)
        return flags.astype(np.int64)


_TAP_SHIFT_BY_SIDE = np.array([0.0, 0.5])
"""Phase shift of the left and right tapping heads when they strike in turn."""


def _clip(x: FloatArray, lo: float, hi: float) -> FloatArray:
    """``np.clip`` (the same values) without its Python wrapper; ``x`` is a temporary, reused."""
    np.maximum(x, lo, out=x)
    return np.minimum(x, hi, out=x)


def _wrap_cycle(phase: FloatArray) -> FloatArray:
    """``phase % 1.0`` for a phase of zero or more: the same bits (both are exact there; speeds
    and rates are never negative) for a tenth of the cost of ``np.remainder``."""
    return phase - np.floor(phase)


def _settled(pos: FloatArray, vel: FloatArray, target: FloatArray) -> bool:
    """Every chair stands still at its target: a move step would leave everything as it is."""
    return bool((pos == target).all()) and not vel.any()


def _move(
    pos: FloatArray,
    vel: FloatArray,
    target: FloatArray,
    speed_max: FloatArray | float,
    accel: float,
    dt: float,
) -> tuple[FloatArray, FloatArray]:
    """One step of a trapezoidal move: accelerate, cruise at the speed limit, brake to stop."""
    error = target - pos
    distance = np.abs(error)
    brake_speed = np.sqrt(2.0 * accel * distance)
    wanted = np.sign(error) * np.minimum(speed_max, brake_speed)
    new_vel = vel + _clip(wanted - vel, -accel * dt, accel * dt)
    new_pos = pos + new_vel * dt
    # Do not overshoot: arriving within one step snaps to the target and stops.
    arrived = distance <= np.abs(new_vel) * dt
    new_pos = np.where(arrived, target, new_pos)
    new_vel = np.where(arrived, 0.0, new_vel)
    return new_pos, new_vel
