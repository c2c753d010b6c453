"""The digital twin: a batched physics model of massage chairs with people seated in them.

It satisfies the driver contract (:class:`~openchair.hardware.contract.ChairDriver`): everything
above it sees only ``Commands`` going in and ``Readings`` coming out. All state is arrays with a
leading batch dimension, stepped together in fixed ``physics_dt_s`` steps. Time comes from the
caller (``now_s``), never from a wall clock.

Verification steps a thousand chairs every tick, so the physics runs as compiled kernels
(``kernels.py``) that read each chair's numbers once per tick, instead of a few hundred numpy
passes over the batch; the state is kept as a struct of arrays the kernels take. The readings and
the truth show per-zone and per-heater values column-major (N, zones): reducing over the columns
(``.max(axis=1)``, ``.any(axis=1)``, as the supervisor and the verifier do every tick) is then a
few passes over contiguous columns instead of a thousand tiny reductions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from openchair.body.batch import BodyBatch, tissue_force_n
from openchair.body.landmarks import LANDMARK_INDEX
from openchair.body.model import BodyParams
from openchair.body.track import _LAST_POSITION as GRID_LAST_POSITION
from openchair.body.track import GRID_STEP_MM, GRID_Y_MM
from openchair.hardware.contract import (
    BoardFault,
    ChairDescription,
    CommandRangeError,
    Commands,
    Readings,
    TapMode,
)
from openchair.hardware.twin import kernels as kn
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
# The per-tick sensing draw (kernels.Z_*) has every channel but the shoulder's and the glitch's,
# which are not drawn per tick: the heaters' channels follow the currents' directly.
assert (kn.Z_FORCE_L, kn.Z_CUR_L, kn.Z_TEMP0) == (_CH_FORCE_L, _CH_CUR_L, _CH_SHOULDER)


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


_FAULT_ROW: dict[TwinFault, int] = {
    TwinFault.PUMP_DEAD: kn.F_PUMP_DEAD,
    TwinFault.FORCE_SENSOR_DEAD: kn.F_FORCE_SENSOR_DEAD,
    TwinFault.ENCODER_GLITCH: kn.F_ENCODER_GLITCH,
    TwinFault.LOST_COMMANDS: kn.F_LOST_COMMANDS,
    TwinFault.OCCUPANT_LEAVES: kn.F_OCCUPANT_LEAVES,
    TwinFault.OCCUPANT_LEANS_FORWARD: kn.F_LEANS_FORWARD,
    TwinFault.LEGREST_OBSTRUCTION: kn.F_LEGREST_OBSTRUCTION,
    TwinFault.DEPTH_MOTOR_RUNAWAY: kn.F_DEPTH_RUNAWAY,
    TwinFault.SUPPLY_RELAY_WELDED: kn.F_RELAY_WELDED,
}
"""Each per-chair fault's row in the fault block."""
_HEATER_FAULT_ROW: dict[TwinFault, int] = {
    TwinFault.TEMP_SENSOR_OPEN: kn.X_OPEN,
    TwinFault.TEMP_SENSOR_SHORTED: kn.X_SHORTED,
    TwinFault.TEMP_SENSOR_STUCK: kn.X_STUCK,
    TwinFault.HEATER_RELAY_STUCK_ON: kn.X_RELAY_ON,
    TwinFault.THERMAL_CUTOUT_FAILED: kn.X_CUTOUT_FAILED,
}
assert set(_FAULT_ROW) | set(_HEATER_FAULT_ROW) | PER_ZONE == set(TwinFault)
assert set(_HEATER_FAULT_ROW) == PER_HEATER
assert int(TapMode.ALTERNATE) == kn.TAP_ALTERNATE
_COMMAND_FIELDS = tuple(f.name for f in fields(Commands))

_FRAME_FLOATS = (
    ("carriage_y_target_mm", kn.C_Y),
    ("carriage_speed_limit_mm_s", kn.C_SPEED),
    ("depth_target_mm", kn.C_DEPTH),
    ("width_target_mm", kn.C_WIDTH),
    ("knead_speed_cpm", kn.C_KNEAD),
    ("tap_rate_hz", kn.C_TAP),
    ("backrest_angle_target_deg", kn.C_BACK),
    ("legrest_angle_target_deg", kn.C_LEG),
)
_FRAME_INTS = (
    ("knead_direction", kn.C_KNEAD_DIR),
    ("tap_mode", kn.C_TAP_MODE),
    ("foot_roller_level", kn.C_FOOT),
)


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
        d, p = self._desc, self._p
        n_zones, n_heaters = d.n_air_zones, d.n_heaters
        ch_air0 = _CH_TEMP0 + n_heaters
        self._noise = CounterNoise(seed_list, ch_air0 + n_zones)
        self._sensor_noise = self._noise.subset(
            [*range(_CH_SHOULDER), *range(_CH_TEMP0, ch_air0 + n_zones)]
        )
        self._dt = physics_dt_s
        self._k = _constants(d, p, physics_dt_s)
        self._t0 = start_time_s
        self._tick = 0
        # The state as a struct of arrays for the kernels (kernels.py names the rows): per-chair
        # numbers, per-chair flags and faults, (zones, chairs) and (rows, heaters, chairs)
        # blocks. Transposed, a (zones, chairs) block is the column-major (N, zones) array the
        # readings and the truth show (see the module docstring).
        s = np.zeros((kn.N_S, n))
        s[kn.S_WIDTH] = (d.width_min_mm + d.width_max_mm) / 2
        s[kn.S_BACK] = d.backrest_angle_min_deg
        s[kn.S_LEG] = d.legrest_angle_min_deg
        s[kn.S_LAST_FRAME] = start_time_s
        shoulder_y = bodies.landmarks_y_mm[:, LANDMARK_INDEX["shoulder"]]
        s[kn.S_SHOULDER_Y] = shoulder_y
        shoulder_offset = p.shoulder_offset_sd_mm * self._noise.normal(0)[:, _CH_SHOULDER].clip(
            -3, 3
        )
        # Where the shoulder sensor sees the shoulder: fixed while the person sits.
        s[kn.S_SHOULDER_AT] = shoulder_y + shoulder_offset
        self._s = s
        self._b = np.zeros((kn.N_B, n), dtype=bool)
        self._fault = np.zeros((kn.N_F, n), dtype=bool)
        self._pressure = np.zeros((n_zones, n))
        self._valve_stuck = np.zeros((n_zones, n), dtype=bool)
        self._hf = np.full((kn.N_HF, n_heaters, n), p.ambient_c)
        self._hf[kn.H_STUCK] = 0.0
        self._hb = np.zeros((kn.N_HB, n_heaters, n), dtype=bool)
        self._hx = np.zeros((kn.N_HX, n_heaters, n), dtype=bool)
        self._any_fault = False
        # The frame the board holds, as blocks (``_frame`` shows them as a ``Commands``).
        self._cf = np.zeros((kn.N_CF, n))
        self._ci = np.zeros((kn.N_CI, n), dtype=np.int64)
        self._supply_off = np.zeros(n, dtype=bool)
        self._air_target = np.zeros((n_zones, n))
        self._heat_target = np.zeros((n_heaters, n))
        # Per-tick scratch: the tapping pulses' bases, the tissue's compression and reference
        # force (N, 2): numpy's routines finish them between the kernels (kernels.py says why).
        self._tap_base = np.zeros((n, 2))
        self._compression = np.zeros((n, 2))
        self._tissue_ref = np.zeros((n, 2))
        self._force = np.zeros((n, 2))
        self._force_pending = False
        """``_force`` holds the last step's forces, not yet in the truth."""
        self._fault_bits = np.array(
            [
                int(BoardFault.WATCHDOG | BoardFault.SAFE_STATE),
                int(BoardFault.RECLINE_OVERCURRENT),
                int(BoardFault.SUPPLY_OPEN),
            ],
            dtype=np.int64,
        )
        self._no_glitch = np.zeros(n)
        self._views()
        self._load_frame(Commands.safe(d, n))

    def _views(self) -> None:
        """The named views of the state blocks (rebuilt after a copy: a copied view would no
        longer see its block)."""
        s, b, hf, hb = self._s, self._b, self._hf, self._hb
        frame = Commands(
            **{name: self._cf[row] for name, row in _FRAME_FLOATS},
            **{name: self._ci[row] for name, row in _FRAME_INTS},
            air_pressure_target_kpa=self._air_target.T,
            heater_target_c=self._heat_target.T,
            supply_off=self._supply_off,
        )
        self._frame = frame
        self._peek = TwinTruth(
            force_left_n=s[kn.S_FORCE_L],
            force_right_n=s[kn.S_FORCE_R],
            carriage_y_mm=s[kn.S_Y],
            depth_mm=s[kn.S_DEPTH],
            heater_temp_c=hf[kn.H_TEMP].T,
            air_pressure_kpa=self._pressure.T,
            shoulder_y_mm=s[kn.S_SHOULDER_Y],
            in_safe_state=b[kn.B_WATCHDOG],
            supply_open=b[kn.B_SUPPLY_OPEN],
            cutout_open=hb[kn.H_CUTOUT].T,
        )

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["_frame"], state["_peek"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._views()

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
        self._load_frame(self._safe_frame())

    # -- test and demo hooks (not part of the contract) -----------------------------------------

    def inject(
        self, fault: TwinFault | str, chairs: ChairSelector = None, target: str | None = None
    ) -> None:
        """Give some chairs (``None``: all) a fault. ``target`` names a heater or an air zone."""
        f = parse_fault(fault)
        mask = self._chair_mask(chairs)
        self._settle()
        if f in PER_HEATER:
            col = self._desc.heater_index(target or DEFAULT_HEATER)
            self._hx[_HEATER_FAULT_ROW[f], col, mask] = True
            if f is TwinFault.TEMP_SENSOR_STUCK:
                self._hf[kn.H_STUCK, col, mask] = self._hf[kn.H_SENSOR, col, mask]
        elif f in PER_ZONE:
            self._valve_stuck[self._desc.air_zone_index(target or DEFAULT_ZONE), mask] = True
        else:
            if target is not None:
                raise ValueError(f"fault {f.value!r} takes no target (got {target!r})")
            self._fault[_FAULT_ROW[f], mask] = True
        self._any_fault = True

    def clear(self, fault: TwinFault | str, chairs: ChairSelector = None) -> None:
        f = parse_fault(fault)
        mask = self._chair_mask(chairs)
        self._settle()
        if f in PER_HEATER:
            self._hx[_HEATER_FAULT_ROW[f], :, mask] = False
        elif f in PER_ZONE:
            self._valve_stuck[:, mask] = False
        else:
            self._fault[_FAULT_ROW[f], mask] = False

    def active_faults(self, chair: int) -> frozenset[TwinFault]:
        active = {f for f, row in _FAULT_ROW.items() if self._fault[row, chair]}
        active |= {f for f, row in _HEATER_FAULT_ROW.items() if self._hx[row, :, chair].any()}
        if self._valve_stuck[:, chair].any():
            active.add(TwinFault.VALVE_STUCK)
        return frozenset(active)

    def press_stop_button(self, pressed: bool = True, chairs: ChairSelector = None) -> None:
        self._b[kn.B_STOP, self._chair_mask(chairs)] = pressed

    def peek_truth(self) -> TwinTruth:
        """The hidden state without copies, for the verifier's per-tick checks.

        The arrays are the twin's own, updated in place by the next step: read them before it
        and never write to them.
        """
        self._settle()
        return self._peek

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
        s = self._s
        return Commands.safe(self._desc, self._n, s[kn.S_Y], s[kn.S_BACK], s[kn.S_LEG])

    def _load_frame(self, commands: Commands) -> None:
        """Copy a whole (validated) frame into the board's frame blocks."""
        frame = self._frame
        for name in _COMMAND_FIELDS:
            ours = getattr(frame, name)
            try:
                np.copyto(ours, getattr(commands, name))
            except TypeError:
                raise CommandRangeError(f"{name}: expected {ours.dtype} values") from None

    def _accept(self, commands: Commands) -> None:
        if commands.batch_size != self._n:
            raise CommandRangeError(
                f"frame is for {commands.batch_size} chairs, this twin has {self._n}"
            )
        commands.validate(self._desc)
        lost = self._fault[kn.F_LOST_COMMANDS]
        now = self.time_s
        if not (self._any_fault and lost.any()):
            self._load_frame(commands)
            self._s[kn.S_LAST_FRAME].fill(now)
            self._b[kn.B_WATCHDOG].fill(False)
            return
        keep = ~lost
        frame = self._frame
        for name in _COMMAND_FIELDS:
            getattr(frame, name)[keep] = getattr(commands, name)[keep]
        self._s[kn.S_LAST_FRAME, keep] = now
        self._b[kn.B_WATCHDOG, keep] = False

    def _advance_to(self, now_s: float) -> None:
        if not math.isfinite(now_s):
            raise ValueError(f"now_s: {now_s!r} is not a finite time")
        target_tick = math.floor((now_s - self._t0) / self._dt + 1e-9)
        while self._tick < target_tick:
            self._step()

    def _step(self) -> None:
        """One physics step of every chair; the tissue law's forces are left in ``_force`` for
        the next sensing to take into the truth."""
        self._tick += 1
        tapping = kn.advance(
            self.time_s,
            self._k,
            self._s,
            self._b,
            self._fault,
            self._pressure,
            self._valve_stuck,
            self._hf,
            self._hb,
            self._hx,
            self._cf,
            self._ci,
            self._supply_off,
            self._air_target,
            self._heat_target,
            self._tap_base,
        )
        # The tapping heads' pulse, sin⁴ of their phase, by numpy's power (see kernels.py).
        pulse = self._tap_base**4 if tapping else self._tap_base
        kn.contact(
            self._k,
            self._s,
            self._fault,
            self._cf,
            tapping,
            pulse,
            self._bodies.back_gap_mm,
            self._bodies.stiffness_scale,
            self._compression,
            self._tissue_ref,
        )
        self._force = tissue_force_n(self._tissue_ref, self._compression)
        self._force_pending = True

    def _settle(self) -> None:
        """Take the last step's roller forces into the truth now, if no sensing did yet (the
        sensing kernel takes them: 0 where nobody sits), before a fault changes who sits or the
        truth is read."""
        if self._force_pending:
            self._sense()

    def _sense(self) -> Readings:
        d = self._desc
        n = self._n
        out = np.empty((kn.N_O, n))
        out_pressure = np.empty((d.n_air_zones, n))
        out_temp = np.empty((d.n_heaters, n))
        out_current = np.empty((d.n_heaters if d.heater_current_a > 0 else 0, n))
        out_b = np.empty((kn.N_OB, n), dtype=bool)
        flags = np.empty(n, dtype=np.int64)
        glitching = self._any_fault and bool(self._fault[kn.F_ENCODER_GLITCH].any())
        glitch_u = (
            np.ascontiguousarray(self._noise.uniform(self._tick)[:, _CH_GLITCH])
            if glitching
            else self._no_glitch
        )
        noise = self._sensor_noise
        kn.sense(
            self._k,
            self._s,
            self._b,
            self._fault,
            self._pressure,
            self._hf,
            self._hb,
            self._hx,
            self._force_pending,
            self._force,
            noise.table,
            noise.offset,
            noise.stride,
            noise.tick_shift(self._tick),
            glitching,
            glitch_u,
            self._fault_bits,
            out,
            out_pressure,
            out_temp,
            out_current,
            out_b,
            flags,
        )
        self._force_pending = False
        return Readings(
            time_s=self.time_s,
            carriage_y_mm=out[kn.O_Y],
            depth_mm=out[kn.O_DEPTH],
            width_mm=out[kn.O_WIDTH],
            force_left_n=out[kn.O_FORCE_L],
            force_right_n=out[kn.O_FORCE_R],
            shoulder_sensor=out_b[kn.OB_SHOULDER],
            air_pressure_kpa=out_pressure.T,
            heater_temp_c=out_temp.T,
            backrest_angle_deg=out[kn.O_BACK],
            legrest_angle_deg=out[kn.O_LEG],
            backrest_current_a=out[kn.O_CUR_B],
            legrest_current_a=out[kn.O_CUR_L],
            occupied=out_b[kn.OB_OCCUPIED],
            stop_button=out_b[kn.OB_STOP],
            fault_flags=flags,
            heater_current_a=out_current.T if out_current.size else np.zeros((n, 0)),
        )


def warm_up() -> None:
    """Compile the twin's kernels into numba's cache (the set-up script runs this once), so
    that the first run or demo on a machine does not wait for the compiler. One chair that taps
    takes every kernel: a batch of any size has the same argument types."""
    twin = TwinChair(BodyBatch.from_params([BodyParams.from_percentile(50, "male")]))
    cmd = Commands.safe(twin.description, 1)
    cmd.tap_rate_hz[:] = 1.0
    twin.step(cmd)


def _constants(d: ChairDescription, p: TwinPhysics, dt: float) -> FloatArray:
    """The kernels' parameter vector, each entry computed as the numpy code computed it."""
    k = np.zeros(kn.N_K)
    back_speed = (d.backrest_angle_max_deg - d.backrest_angle_min_deg) / d.recline_full_travel_s
    leg_speed = (d.legrest_angle_max_deg - d.legrest_angle_min_deg) / d.recline_full_travel_s
    values = {
        kn.K_DT: dt,
        kn.K_WD_TRIP_S: d.watchdog_timeout_s - 1e-9,
        kn.K_WD_CUT_S: d.watchdog_timeout_s + d.watchdog_supply_cut_s,
        kn.K_SUPPLY_RELAY: float(d.supply_relay),
        kn.K_WIDTH_MID: (d.width_min_mm + d.width_max_mm) / 2,
        kn.K_Y_ACCEL: d.carriage_accel_max_mm_s2,
        kn.K_Y_MIN: d.carriage_y_min_mm,
        kn.K_Y_MAX: d.carriage_y_max_mm,
        kn.K_DEPTH_MAX: d.depth_max_mm,
        kn.K_DEPTH_SPEED: d.depth_speed_max_mm_s,
        kn.K_DEPTH_ACCEL: p.depth_accel_mm_s2,
        kn.K_WIDTH_SPEED: d.width_speed_max_mm_s,
        kn.K_WIDTH_ACCEL: p.width_accel_mm_s2,
        kn.K_KNEAD_AMP: d.knead_depth_amplitude_mm,
        kn.K_TAP_AMP: d.tap_depth_amplitude_mm,
        kn.K_LEAN: p.lean_forward_mm,
        kn.K_BACK_LO: -back_speed * dt,
        kn.K_BACK_HI: back_speed * dt,
        kn.K_LEG_LO: -leg_speed * dt,
        kn.K_LEG_HI: leg_speed * dt,
        kn.K_VALVE_HYST: p.valve_hysteresis_kpa,
        kn.K_PUMP_RATE: p.pump_rate_kpa_s,
        kn.K_VENT_RATE: p.vent_rate_per_s,
        kn.K_LEAK_RATE: p.leak_rate_per_s,
        kn.K_AIR_MAX: d.air_pressure_max_kpa,
        kn.K_HEATER_HYST: p.heater_hysteresis_c,
        kn.K_HEAT_RATE: p.heater_rate_c_s * p.heater_power_factor,
        kn.K_AMBIENT: p.ambient_c,
        kn.K_COOLING_TAU: p.heater_cooling_tau_s,
        kn.K_SENSOR_GAIN: dt / p.sensor_lag_tau_s,
        kn.K_HAS_CUTOUT: float(d.heater_cutout_c is not None),
        kn.K_CUTOUT: d.heater_cutout_c if d.heater_cutout_c is not None else math.inf,
        kn.K_FORCE_NOISE: p.force_noise_n,
        kn.K_POSITION_NOISE: p.position_noise_mm,
        kn.K_TEMP_NOISE: p.temp_noise_c,
        kn.K_PRESSURE_NOISE: p.pressure_noise_kpa,
        kn.K_CURRENT_NOISE: p.current_noise_a,
        kn.K_CUR_MOVING: p.recline_current_moving_a,
        kn.K_CUR_IDLE: p.recline_current_idle_a,
        kn.K_CUR_STALLED: p.recline_current_stalled_a,
        kn.K_SHOULDER_BAND: p.shoulder_band_mm,
        kn.K_GLITCH_P: p.encoder_glitch_probability,
        kn.K_GLITCH_MM: p.encoder_glitch_mm,
        kn.K_SENSOR_OPEN: p.sensor_open_c,
        kn.K_SENSOR_SHORTED: p.sensor_shorted_c,
        kn.K_HEATER_CURRENT: d.heater_current_a * p.heater_power_factor,
        kn.K_GRID_Y0: float(GRID_Y_MM[0]),
        kn.K_GRID_STEP: GRID_STEP_MM,
        kn.K_GRID_LAST: GRID_LAST_POSITION,
    }
    assert len(values) == kn.N_K
    for index, value in values.items():
        k[index] = value
    k.flags.writeable = False
    return k
