"""The twin's physics tick as compiled kernels: a loop or a few over the chairs per part of it.

The twin's state is a struct of arrays (numba takes arrays, not dataclasses): a few blocks with
one row per quantity and one column per chair, so that a kernel reads each chair's numbers once
and the Python side passes a handful of arrays. The row of each quantity is a constant below.

A tick is ``advance`` (watchdog, supply relay, carriage, depth, width, kneading and tapping
phases, recline, air, heat), then ``contact`` (how far each roller reaches into the body), then
the tissue law, then ``sense`` (true forces, readings with their noise). The tissue law's
``expm1`` and the tapping pulse's fourth power stay numpy calls between the kernels: numpy
computes them with its own vectorised routines, whose last bits differ from the C library's
that a kernel calls, and the twin's numbers must stay exactly what they were.

Each kernel does, chair by chair, exactly the arithmetic the numpy code did on whole arrays, in
the same order (``a * b * c`` is ``(a * b) * c`` in both), with ``_maximum`` and ``_minimum``
choosing between equal values as numpy does, so every bit is the same; the check is
``benchmarks/twin_trace.py``. Work numpy skipped when it could change nothing (air at rest, a
settled width, no fault injected) is done here for every chair: it leaves every number as it
is, which is why numpy could skip it.

Kernels that call each other live in this one file: numba's cache of a compiled function is
invalidated by changes to its own file only.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from openchair.compiled import kernel

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.uint16]

# Per-chair state, rows of the float block ``s``.
S_Y, S_VY, S_DEPTH, S_VDEPTH, S_WIDTH, S_VWIDTH = range(6)
S_KNEAD, S_TAP, S_BACK, S_LEG, S_LAST_FRAME = range(6, 11)
S_SHOULDER_AT, S_SHOULDER_Y, S_FORCE_L, S_FORCE_R = range(11, 15)
N_S = 15
# Per-chair flags, rows of the bool block ``b``.
B_BACK_MOVING, B_LEG_MOVING, B_LEG_STALLED, B_WATCHDOG, B_SUPPLY_OPEN, B_STOP = range(6)
N_B = 6
# Per-chair faults, rows of the bool block ``fault``.
F_PUMP_DEAD, F_FORCE_SENSOR_DEAD, F_ENCODER_GLITCH, F_LOST_COMMANDS, F_OCCUPANT_LEAVES = range(5)
F_LEANS_FORWARD, F_LEGREST_OBSTRUCTION, F_DEPTH_RUNAWAY, F_RELAY_WELDED = range(5, 9)
N_F = 9
# Per-heater state (blocks of shape (rows, heaters, chairs)): floats, flags, faults.
H_TEMP, H_SENSOR, H_STUCK = range(3)
N_HF = 3
H_ON, H_POWERED, H_CUTOUT = range(3)
N_HB = 3
X_OPEN, X_SHORTED, X_STUCK, X_RELAY_ON, X_CUTOUT_FAILED = range(5)
N_HX = 5
# The command frame the board holds: floats, integers (rows); air and heater targets are blocks
# of shape (zones, chairs) and (heaters, chairs), the supply switches one row.
C_Y, C_SPEED, C_DEPTH, C_WIDTH, C_KNEAD, C_TAP, C_BACK, C_LEG = range(8)
N_CF = 8
C_KNEAD_DIR, C_TAP_MODE, C_FOOT = range(3)
N_CI = 3
# Readings, rows of the float block of ``sense``'s output, and of its bool block.
O_Y, O_DEPTH, O_WIDTH, O_FORCE_L, O_FORCE_R, O_BACK, O_LEG, O_CUR_B, O_CUR_L = range(9)
N_O = 9
OB_SHOULDER, OB_OCCUPIED, OB_STOP = range(3)
N_OB = 3
# Noise channels of the per-tick sensing draw (then one per heater, then one per air zone).
Z_FORCE_L, Z_FORCE_R, Z_Y, Z_DEPTH, Z_WIDTH, Z_CUR_B, Z_CUR_L = range(7)
Z_TEMP0 = 7
# Constants, entries of the parameter vector ``k`` (built once per twin).
(
    K_DT,
    K_WD_TRIP_S,
    K_WD_CUT_S,
    K_SUPPLY_RELAY,
    K_WIDTH_MID,
    K_Y_ACCEL,
    K_Y_MIN,
    K_Y_MAX,
    K_DEPTH_MAX,
    K_DEPTH_SPEED,
    K_DEPTH_ACCEL,
    K_WIDTH_SPEED,
    K_WIDTH_ACCEL,
    K_KNEAD_AMP,
    K_TAP_AMP,
    K_LEAN,
    K_BACK_LO,
    K_BACK_HI,
    K_LEG_LO,
    K_LEG_HI,
    K_VALVE_HYST,
    K_PUMP_RATE,
    K_VENT_RATE,
    K_LEAK_RATE,
    K_AIR_MAX,
    K_HEATER_HYST,
    K_HEAT_RATE,
    K_AMBIENT,
    K_COOLING_TAU,
    K_SENSOR_GAIN,
    K_HAS_CUTOUT,
    K_CUTOUT,
    K_FORCE_NOISE,
    K_POSITION_NOISE,
    K_TEMP_NOISE,
    K_PRESSURE_NOISE,
    K_CURRENT_NOISE,
    K_CUR_MOVING,
    K_CUR_IDLE,
    K_CUR_STALLED,
    K_SHOULDER_BAND,
    K_GLITCH_P,
    K_GLITCH_MM,
    K_SENSOR_OPEN,
    K_SENSOR_SHORTED,
    K_HEATER_CURRENT,
    K_GRID_Y0,
    K_GRID_STEP,
    K_GRID_LAST,
) = range(49)
N_K = 49

TAP_ALTERNATE = 0
"""``TapMode.ALTERNATE``: the right head strikes half a cycle after the left."""
TAP_SHIFT_RIGHT = 0.5
HELD_SPEED = 1e-300
"""Kneading and tapping heads of an unpowered chair: too slow to move, not 0, so they press."""
FLAG_WATCHDOG_SAFE = 0
FLAG_OVERCURRENT = 1
FLAG_SUPPLY_OPEN = 2
"""Indices into the ``fault_bits`` argument of ``sense`` (the board's fault flag values)."""
NOISE_MASK = 0xFFFF
"""Table indices wrap modulo the normal table's size (2**16)."""


@kernel
def _maximum(a: float, b: float) -> float:
    """``np.maximum``: the first unless the second is larger; equal values give the second
    (``np.maximum(-0.0, 0.0)`` is ``0.0``); nan wins."""
    return a if (a > b or a != a) else b


@kernel
def _minimum(a: float, b: float) -> float:
    """``np.minimum``, likewise."""
    return a if (a < b or a != a) else b


@kernel
def _clip(x: float, lo: float, hi: float) -> float:
    return _minimum(_maximum(x, lo), hi)


@kernel
def _sign(x: float) -> float:
    """``np.sign``: 0.0 for either zero."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


@kernel
def _move(
    pos: float, vel: float, target: float, speed_max: float, accel: float, dt: float
) -> tuple[float, float]:
    """One step of a trapezoidal move: accelerate, cruise at the speed limit, brake to stop;
    arriving within one step snaps to the target and stops (no overshoot)."""
    error = target - pos
    distance = abs(error)
    brake_speed = math.sqrt(2.0 * accel * distance)
    wanted = _sign(error) * _minimum(speed_max, brake_speed)
    new_vel = vel + _clip(wanted - vel, -accel * dt, accel * dt)
    new_pos = pos + new_vel * dt
    if distance <= abs(new_vel) * dt:
        return target, 0.0
    return new_pos, new_vel


@kernel
def _wrap_cycle(phase: float) -> float:
    """A phase of zero or more modulo 1 (``phase % 1.0``, the same bits there)."""
    return phase - math.floor(phase)


@kernel
def normal_at(table: FloatArray, offset: int, stride: int, shift: int) -> float:
    """The counter noise's standard normal for one (seed, channel) at one tick: the shared
    table at ``offset + shift * stride``, modulo the table's size."""
    return float(table[(offset + shift * stride) & NOISE_MASK])


@kernel
def _noise(
    table: FloatArray, offset: IndexArray, stride: IndexArray, shift: int, channel: int, i: int
) -> float:
    return normal_at(table, int(offset[channel, i]), int(stride[channel, i]), shift)


@kernel
def gather_normals(
    table: FloatArray, offset: IndexArray, stride: IndexArray, shift: int, out: FloatArray
) -> None:
    """``out[c, i]``: channel ``c`` of chair ``i`` at the tick whose shift is ``shift``."""
    for c in range(offset.shape[0]):
        for i in range(offset.shape[1]):
            out[c, i] = _noise(table, offset, stride, shift, c, i)


@kernel
def advance(
    time_s: float,
    k: FloatArray,
    s: FloatArray,
    b: BoolArray,
    fault: BoolArray,
    pressure: FloatArray,
    valve_stuck: BoolArray,
    hf: FloatArray,
    hb: BoolArray,
    hx: BoolArray,
    cf: FloatArray,
    ci: IntArray,
    supply_off: BoolArray,
    air_target: FloatArray,
    heat_target: FloatArray,
    tap_base: FloatArray,
) -> bool:
    """One physics step of every chair up to the contact; returns whether any chair taps (its
    pulses' bases are then in ``tap_base``, for numpy's fourth power)."""
    dt = k[K_DT]
    n = s.shape[1]
    n_zones = pressure.shape[0]
    n_heaters = hf.shape[1]
    tapping = False
    # Constants in locals: the compiler cannot know that the stores below leave ``k`` as it is.
    wd_trip_s = k[K_WD_TRIP_S]
    width_mid = k[K_WIDTH_MID]
    wd_cut_s = k[K_WD_CUT_S]
    has_relay = k[K_SUPPLY_RELAY] != 0.0
    y_accel = k[K_Y_ACCEL]
    y_min = k[K_Y_MIN]
    y_max = k[K_Y_MAX]
    depth_max = k[K_DEPTH_MAX]
    depth_speed = k[K_DEPTH_SPEED]
    depth_accel = k[K_DEPTH_ACCEL]
    width_speed = k[K_WIDTH_SPEED]
    width_accel = k[K_WIDTH_ACCEL]
    back_lo = k[K_BACK_LO]
    back_hi = k[K_BACK_HI]
    leg_lo = k[K_LEG_LO]
    leg_hi = k[K_LEG_HI]
    for i in range(n):
        # The watchdog: a chair without a frame for its timeout goes to the safe state (the
        # carriage and recline held, an opened supply relay left open) and stays there.
        if time_s - s[S_LAST_FRAME, i] >= wd_trip_s:
            if not b[B_WATCHDOG, i]:
                cf[C_Y, i] = s[S_Y, i]
                cf[C_SPEED, i] = 0.0
                cf[C_DEPTH, i] = 0.0
                cf[C_WIDTH, i] = width_mid
                cf[C_KNEAD, i] = 0.0
                cf[C_TAP, i] = 0.0
                cf[C_BACK, i] = s[S_BACK, i]
                cf[C_LEG, i] = s[S_LEG, i]
                ci[C_KNEAD_DIR, i] = 1
                ci[C_TAP_MODE, i] = 0
                ci[C_FOOT, i] = 0
                for z in range(n_zones):
                    air_target[z, i] = 0.0
                for h in range(n_heaters):
                    heat_target[h, i] = 0.0
            b[B_WATCHDOG, i] = True
        # The supply relay: opened by the frame, or by the watchdog some time after it tripped,
        # unless the board has none or its contacts are welded.
        opened = supply_off[i]
        if b[B_WATCHDOG, i] and time_s - s[S_LAST_FRAME, i] >= wd_cut_s:
            opened = True
        if not has_relay or fault[F_RELAY_WELDED, i]:
            opened = False
        b[B_SUPPLY_OPEN, i] = opened
        # The frame the actuators follow. Unpowered, every motor stops where it is (the gears
        # hold), the pump stops, the valves fall open and vent, and no heater is powered.
        y_target = cf[C_Y, i]
        speed = cf[C_SPEED, i]
        depth_target = cf[C_DEPTH, i]
        width_target = cf[C_WIDTH, i]
        knead = cf[C_KNEAD, i]
        tap = cf[C_TAP, i]
        back_target = cf[C_BACK, i]
        leg_target = cf[C_LEG, i]
        if opened:
            y_target = s[S_Y, i]
            speed = 0.0
            depth_target = s[S_DEPTH, i]
            width_target = s[S_WIDTH, i]
            knead = HELD_SPEED if knead > 0.0 else 0.0
            tap = HELD_SPEED if tap > 0.0 else 0.0
            back_target = s[S_BACK, i]
            leg_target = s[S_LEG, i]
            s[S_VY, i] = 0.0
            s[S_VDEPTH, i] = 0.0
            s[S_VWIDTH, i] = 0.0
        # Carriage, depth, width: trapezoidal moves within speed and acceleration limits.
        y, vy = _move(s[S_Y, i], s[S_VY, i], y_target, speed, y_accel, dt)
        s[S_Y, i] = _clip(y, y_min, y_max)
        s[S_VY, i] = vy
        if fault[F_DEPTH_RUNAWAY, i] and not opened:
            depth_target = depth_max
        depth, vdepth = _move(
            s[S_DEPTH, i], s[S_VDEPTH, i], depth_target, depth_speed, depth_accel, dt
        )
        s[S_DEPTH, i] = _clip(depth, 0.0, depth_max)
        s[S_VDEPTH, i] = vdepth
        s[S_WIDTH, i], s[S_VWIDTH, i] = _move(
            s[S_WIDTH, i], s[S_VWIDTH, i], width_target, width_speed, width_accel, dt
        )
        # Kneading and tapping phases (cycles).
        s[S_KNEAD, i] = _wrap_cycle(s[S_KNEAD, i] + knead / 60.0 * dt)
        s[S_TAP, i] = _wrap_cycle(s[S_TAP, i] + tap * dt)
        if tap > 0.0:
            tapping = True
            shift = TAP_SHIFT_RIGHT if ci[C_TAP_MODE, i] == TAP_ALTERNATE else 0.0
            phase = s[S_TAP, i]
            tap_base[i, 0] = _maximum(math.sin(2 * math.pi * (phase + 0.0)), 0.0)
            tap_base[i, 1] = _maximum(math.sin(2 * math.pi * (phase + shift)), 0.0)
        else:
            tap_base[i, 0] = 0.0
            tap_base[i, 1] = 0.0
        # Backrest and legrest toward their targets; an obstructed leg rest does not go down.
        step_b = _clip(back_target - s[S_BACK, i], back_lo, back_hi)
        s[S_BACK, i] = s[S_BACK, i] + step_b
        b[B_BACK_MOVING, i] = abs(step_b) > 1e-9
        step_l = _clip(leg_target - s[S_LEG, i], leg_lo, leg_hi)
        blocked = fault[F_LEGREST_OBSTRUCTION, i] and step_l < 0
        if blocked:
            step_l = 0.0
        s[S_LEG, i] = s[S_LEG, i] + step_l
        b[B_LEG_MOVING, i] = abs(step_l) > 1e-9
        b[B_LEG_STALLED, i] = blocked
    # Air: the pump's flow is shared by the inflating cushions; venting and leaks. Zone by
    # zone, each a loop over the chairs (a zone's row is contiguous).
    hyst = k[K_VALVE_HYST]
    n_inflating = np.zeros(n, dtype=np.int64)
    for z in range(n_zones):
        for i in range(n):
            target = 0.0 if b[B_SUPPLY_OPEN, i] else air_target[z, i]
            if target > pressure[z, i] + hyst and not valve_stuck[z, i]:
                n_inflating[i] += 1
    rise_by = np.empty(n)
    pump_rate = k[K_PUMP_RATE]
    for i in range(n):
        count = n_inflating[i]
        share = pump_rate / max(count, 1) if count > 0 else 0.0
        pump_ok = not (fault[F_PUMP_DEAD, i] or b[B_SUPPLY_OPEN, i])
        rise_by[i] = share * dt if pump_ok else 0.0
    vent_rate = k[K_VENT_RATE]
    leak_rate = k[K_LEAK_RATE]
    air_max = k[K_AIR_MAX]
    for z in range(n_zones):
        for i in range(n):
            p = pressure[z, i]
            target = 0.0 if b[B_SUPPLY_OPEN, i] else air_target[z, i]
            inflating = target > p + hyst and not valve_stuck[z, i]
            venting = target < p - hyst and not valve_stuck[z, i]
            rise = rise_by[i] if inflating else 0.0
            fall = p * vent_rate * dt if venting else 0.0
            leak = p * leak_rate * dt
            pressure[z, i] = _clip(p + rise - fall - leak, 0.0, air_max)
    # Heat: each heater's relay with hysteresis, its thermal cut-out, the sensor's lag.
    heater_hyst = k[K_HEATER_HYST]
    heat_rate = k[K_HEAT_RATE]
    ambient = k[K_AMBIENT]
    cooling_tau = k[K_COOLING_TAU]
    sensor_gain = k[K_SENSOR_GAIN]
    has_cutout = k[K_HAS_CUTOUT] != 0.0
    cutout = k[K_CUTOUT]
    for h in range(n_heaters):
        for i in range(n):
            opened = b[B_SUPPLY_OPEN, i]
            target = 0.0 if opened else heat_target[h, i]
            temp = hf[H_TEMP, h, i]
            on_wanted = target > 0
            turn_on = on_wanted and temp < target - heater_hyst
            turn_off = (not on_wanted) or temp > target + heater_hyst
            on = (hb[H_ON, h, i] or turn_on) and not turn_off
            hb[H_ON, h, i] = on
            powered = (on or hx[X_RELAY_ON, h, i]) and not hb[H_CUTOUT, h, i] and not opened
            hb[H_POWERED, h, i] = powered
            temp = temp + dt * ((heat_rate if powered else 0.0) - (temp - ambient) / cooling_tau)
            hf[H_TEMP, h, i] = temp
            sensor = hf[H_SENSOR, h, i]
            hf[H_SENSOR, h, i] = sensor + (temp - sensor) * sensor_gain
            if has_cutout and temp >= cutout and not hx[X_CUTOUT_FAILED, h, i]:
                hb[H_CUTOUT, h, i] = True
    return tapping


@kernel
def contact(
    k: FloatArray,
    s: FloatArray,
    fault: BoolArray,
    cf: FloatArray,
    tapping: bool,
    tap_pulse: FloatArray,
    back_gap: FloatArray,
    stiffness: FloatArray,
    compression: FloatArray,
    ref: FloatArray,
) -> None:
    """Each roller's compression of the tissue and the tissue's reference force (N, 2), from
    one lookup of each body's profiles at the carriage, for the tissue law that follows.

    The rollers reach by the depth, the kneading stroke and (``tapping``) each tapping head's
    pulse; a person leaning forward is further away. The profiles are sampled on the track
    grid and interpolated linearly, as ``BodyBatch.roller_force_n`` does.
    """
    n = s.shape[1]
    y0 = k[K_GRID_Y0]
    knead_amp = k[K_KNEAD_AMP]
    tap_amp = k[K_TAP_AMP]
    lean_mm = k[K_LEAN]
    grid_step = k[K_GRID_STEP]
    grid_last = k[K_GRID_LAST]
    for i in range(n):
        knead = 0.0
        if cf[C_KNEAD, i] > 0.0:
            knead = knead_amp * math.sin(2 * math.pi * s[S_KNEAD, i])
        reach = s[S_DEPTH, i] + knead
        reach_l = reach
        reach_r = reach
        if tapping:
            tap_l = 0.0
            tap_r = 0.0
            if cf[C_TAP, i] > 0.0:
                tap_l = tap_amp * tap_pulse[i, 0]
                tap_r = tap_amp * tap_pulse[i, 1]
            reach_l = reach + tap_l
            reach_r = reach + tap_r
        lean = lean_mm if fault[F_LEANS_FORWARD, i] else 0.0
        protrusion_l = _maximum(reach_l - lean, 0.0)
        protrusion_r = _maximum(reach_r - lean, 0.0)
        pos = _minimum(_maximum((s[S_Y, i] - y0) / grid_step, 0.0), grid_last)
        i0 = int(pos)
        frac = pos - i0
        gap = back_gap[i, i0] * (1 - frac) + back_gap[i, i0 + 1] * frac
        ref[i, 0] = stiffness[i, i0, 0] * (1 - frac) + stiffness[i, i0 + 1, 0] * frac
        ref[i, 1] = stiffness[i, i0, 1] * (1 - frac) + stiffness[i, i0 + 1, 1] * frac
        compression[i, 0] = _maximum(protrusion_l - gap, 0.0)
        compression[i, 1] = _maximum(protrusion_r - gap, 0.0)


@kernel
def sense(
    k: FloatArray,
    s: FloatArray,
    b: BoolArray,
    fault: BoolArray,
    pressure: FloatArray,
    hf: FloatArray,
    hb: BoolArray,
    hx: BoolArray,
    new_force: bool,
    force: FloatArray,
    table: FloatArray,
    off: IndexArray,
    stride: IndexArray,
    shift: int,
    glitching: bool,
    glitch_u: FloatArray,
    fault_bits: IntArray,
    out: FloatArray,
    out_pressure: FloatArray,
    out_temp: FloatArray,
    out_heater_current: FloatArray,
    out_b: BoolArray,
    out_flags: IntArray,
) -> None:
    """What every chair's board senses, with its noise (``new_force``: first take the rollers'
    true forces from the tissue law, 0 where nobody sits). The noise of channel ``c`` is the
    normal table at ``off[c] + shift * stride[c]`` (see ``noise.py``).

    ``glitching``: some chair has an encoder glitch; ``glitch_u`` holds each chair's uniform draw
    for it this tick.
    """
    n = s.shape[1]
    n_zones = pressure.shape[0]
    n_heaters = hf.shape[1]
    z_air0 = Z_TEMP0 + n_heaters
    # Constants in locals, and one loop per part over the chairs: each loop reads its rows
    # front to back, and its table reads do not wait for each other.
    force_noise = k[K_FORCE_NOISE]
    position_noise = k[K_POSITION_NOISE]
    current_noise = k[K_CURRENT_NOISE]
    cur_moving = k[K_CUR_MOVING]
    cur_idle = k[K_CUR_IDLE]
    cur_stalled = k[K_CUR_STALLED]
    glitch_p = k[K_GLITCH_P]
    glitch_mm = k[K_GLITCH_MM]
    band = k[K_SHOULDER_BAND]
    for i in range(n):
        occupied = not fault[F_OCCUPANT_LEAVES, i]
        if new_force:
            s[S_FORCE_L, i] = force[i, 0] if occupied else 0.0
            s[S_FORCE_R, i] = force[i, 1] if occupied else 0.0
        true_l = s[S_FORCE_L, i]
        true_r = s[S_FORCE_R, i]
        z_l = _noise(table, off, stride, shift, Z_FORCE_L, i)
        z_r = _noise(table, off, stride, shift, Z_FORCE_R, i)
        force_l = _maximum(true_l + force_noise * z_l * (1.0 if true_l > 0.0 else 0.0), 0.0)
        force_r = _maximum(true_r + force_noise * z_r * (1.0 if true_r > 0.0 else 0.0), 0.0)
        if fault[F_FORCE_SENSOR_DEAD, i]:
            force_l = 0.0
            force_r = 0.0
        out[O_FORCE_L, i] = force_l
        out[O_FORCE_R, i] = force_r
        y = s[S_Y, i] + position_noise * _noise(table, off, stride, shift, Z_Y, i)
        if glitching:
            jump = 0
            if fault[F_ENCODER_GLITCH, i] and glitch_u[i] < glitch_p:
                jump = 1 if glitch_u[i] < glitch_p / 2 else -1
            y = y + jump * glitch_mm
        out[O_Y, i] = y
        shoulder = abs(s[S_Y, i] - s[S_SHOULDER_AT, i]) <= band
        out_b[OB_SHOULDER, i] = shoulder and occupied
        out_b[OB_OCCUPIED, i] = occupied
        out_b[OB_STOP, i] = b[B_STOP, i]
    for i in range(n):
        out[O_DEPTH, i] = s[S_DEPTH, i] + position_noise * _noise(
            table, off, stride, shift, Z_DEPTH, i
        )
        out[O_WIDTH, i] = s[S_WIDTH, i] + position_noise * _noise(
            table, off, stride, shift, Z_WIDTH, i
        )
        out[O_BACK, i] = s[S_BACK, i]
        out[O_LEG, i] = s[S_LEG, i]
    for i in range(n):
        back_current = cur_moving if b[B_BACK_MOVING, i] else cur_idle
        leg_current = cur_moving if b[B_LEG_MOVING, i] else cur_idle
        if b[B_LEG_STALLED, i]:
            leg_current = cur_stalled
        z_b = _noise(table, off, stride, shift, Z_CUR_B, i)
        z_l = _noise(table, off, stride, shift, Z_CUR_L, i)
        out[O_CUR_B, i] = back_current + current_noise * abs(z_b)
        out[O_CUR_L, i] = leg_current + current_noise * abs(z_l)
        flags = 0
        if b[B_WATCHDOG, i]:
            flags |= fault_bits[FLAG_WATCHDOG_SAFE]
        if b[B_LEG_STALLED, i]:
            flags |= fault_bits[FLAG_OVERCURRENT]
        if b[B_SUPPLY_OPEN, i]:
            flags |= fault_bits[FLAG_SUPPLY_OPEN]
        out_flags[i] = flags
    temp_noise = k[K_TEMP_NOISE]
    sensor_open = k[K_SENSOR_OPEN]
    sensor_shorted = k[K_SENSOR_SHORTED]
    for h in range(n_heaters):
        for i in range(n):
            temp = hf[H_SENSOR, h, i] + temp_noise * _noise(
                table, off, stride, shift, Z_TEMP0 + h, i
            )
            if hx[X_OPEN, h, i]:
                temp = sensor_open
            if hx[X_SHORTED, h, i]:
                temp = sensor_shorted
            if hx[X_STUCK, h, i]:
                temp = hf[H_STUCK, h, i]
            out_temp[h, i] = temp
    heater_current = k[K_HEATER_CURRENT]
    for h in range(out_heater_current.shape[0]):
        for i in range(n):
            out_heater_current[h, i] = heater_current if hb[H_POWERED, h, i] else 0.0
    pressure_noise = k[K_PRESSURE_NOISE]
    for zone in range(n_zones):
        for i in range(n):
            reading = pressure[zone, i] + pressure_noise * _noise(
                table, off, stride, shift, z_air0 + zone, i
            )
            out_pressure[zone, i] = _maximum(reading, 0.0)
