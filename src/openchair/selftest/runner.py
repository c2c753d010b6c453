"""The service self-test: every actuator through its range, every sensor checked for a response.

Each part gets a verdict (pass, fail or skip) with a reason a technician can act on. A part whose
check needs another part that failed is skipped with that reason instead of failing too, so the
report points at what actually broke. Everything goes through the driver contract.

The rollers press only an empty chair. A self-test exists to find broken parts, and the force
sensor is one of them: with it dead, a probe that waits to feel the back never does and presses
on (to 60 mm: up to 970 N on an average man). So the checks that extend the rollers (force
probe, depth sweep, kneading, tapping) run only when nobody is seated, by the seat sensor and by
the shoulder sensor during the carriage sweep (rollers in); with someone seated they are skipped
and the report says so. A dead force sensor cannot be told from a live one with nothing to
press: the supervisor finds it on the person's back in the scan and every session
(``force_sensor_silent``), the rollers going no deeper than the scan's light contact allows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from openchair.hardware.contract import BoardFault, ChairDriver, Readings, TapMode
from openchair.safety.guard import ServiceGuard
from openchair.safety.limits import DEFAULT_LIMITS, SafetyLimits
from openchair.selftest.exercise import TICK_S, Exerciser, Ticker

GENTLE_FORCE_N = 15.0
"""Force at which a probe stops pressing: enough to see the sensor respond, well below comfort."""
FIRM_FORCE_N = 40.0
"""The depth sweep stops extending once the rollers press this hard."""
PROBE_Y_MM = 450.0
"""Where the rollers probe the back: the upper back rests close to the backrest on most people."""
PROBE_MAX_DEPTH_MM = 60.0
"""How deep the force probe extends into the empty seat, looking for anything in the way."""
UNLOADED_FORCE_MAX_N = GENTLE_FORCE_N / 3
"""An unloaded force sensor reads about 0 N: more than this with nothing to press is an offset
(or something pressing the rollers)."""
SEATED_REASON = "not tested: someone is seated (the rollers extend only on an empty chair)"


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class PartResult:
    part: str
    verdict: Verdict
    reason: str
    measurements: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SelfTestReport:
    parts: tuple[PartResult, ...]
    duration_s: float

    @property
    def passed(self) -> bool:
        return all(p.verdict is not Verdict.FAIL for p in self.parts)

    def failed_parts(self) -> list[str]:
        return [p.part for p in self.parts if p.verdict is Verdict.FAIL]

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "duration_s": round(self.duration_s, 2),
            "parts": [
                {
                    "part": p.part,
                    "verdict": p.verdict.value,
                    "reason": p.reason,
                    "measurements": {k: round(v, 3) for k, v in p.measurements.items()},
                }
                for p in self.parts
            ],
        }


Progress = Callable[[str], None]


def run_selftest(
    driver: ChairDriver,
    ticker: Ticker,
    *,
    limits: SafetyLimits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> SelfTestReport:
    """Run every check on chair 0 of ``driver`` and return the report.

    Frames pass the service guard (the hard limits of ``limits.py``) on their way to the driver.
    """
    guarded = ServiceGuard(driver, limits)
    return _SelfTest(guarded, ticker, limits, progress or (lambda _: None)).run()


RUNAWAY_REASON = (
    "the rollers went deeper than commanded and kept going: the depth motor does not obey "
    "(its driver shorted?); its power was cut"
)


class _SelfTest:
    def __init__(
        self, driver: ChairDriver, ticker: Ticker, limits: SafetyLimits, progress: Progress
    ) -> None:
        self.ex = Exerciser(driver, ticker)
        self.guard = driver if isinstance(driver, ServiceGuard) else None
        self.d = driver.description
        self.limits = limits
        self.progress = progress
        self.results: list[PartResult] = []

    # -- bookkeeping ----------------------------------------------------------------------------

    def _add(self, part: str, ok: bool, reason: str, **measurements: float) -> bool:
        verdict = Verdict.PASS if ok else Verdict.FAIL
        self.results.append(PartResult(part, verdict, reason, dict(measurements)))
        return ok

    def _skip(self, part: str, reason: str) -> None:
        self.results.append(PartResult(part, Verdict.SKIP, reason))

    def run(self) -> SelfTestReport:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("carriage", self.check_carriage),
            ("rollers", self.check_rollers),
            ("air", self.check_air),
            ("heaters", self.check_heaters),
            ("recline", self.check_recline),
            ("foot rollers", self.check_foot_rollers),
            ("watchdog", self.check_watchdog),
            ("supply relay", self.check_supply_relay),
        ]
        self.progress("board link")
        if not self.check_link():
            for name, _ in steps:
                self._skip(name, "not tested: no working link to the board")
            return SelfTestReport(tuple(self.results), self.ex.elapsed_s)
        for k, (name, step) in enumerate(steps):
            if self.guard is not None and self.guard.runaway[0]:
                self._add("roller depth", False, RUNAWAY_REASON)
                for rest, _ in steps[k:]:
                    self._skip(rest, "not tested: the chair's power was cut (depth motor)")
                break
            self.progress(name)
            step()
            self.ex.make_safe()
            self.ex.run(0.05)
        return SelfTestReport(tuple(self.results), self.ex.elapsed_s)

    # -- checks ---------------------------------------------------------------------------------

    occupied = True
    """Someone may be seated (the seat or the shoulder sensor says so, or something pressed the
    rollers): nothing extends the rollers."""

    def check_link(self) -> bool:
        """Frames reach the board; also reads the stop button and the seat. False: no link."""
        readings = self.ex.run(0.5)
        tripped = [r for r in readings if r.fault_flags[0] & BoardFault.WATCHDOG]
        if tripped:
            self._add(
                "board link",
                False,
                f"the board reported its watchdog {len(tripped)} times while frames were sent "
                f"every {TICK_S * 1000:.0f} ms: commands are not reaching it (lost commands?)",
            )
            return False
        other = int(readings[-1].fault_flags[0])
        self._add(
            "board link",
            other == 0,
            "frames acknowledged, no board fault flags"
            if other == 0
            else f"the board reports fault flags {BoardFault(other)!r}",
        )
        last = readings[-1]
        self._add(
            "stop button",
            not bool(last.stop_button[0]),
            "released" if not last.stop_button[0] else "the handset's stop button reads pressed",
        )
        self.occupied = bool(last.occupied[0])
        self._add(
            "seat occupancy",
            True,
            "nobody seated: every check runs"
            if not self.occupied
            else "someone seated: the checks that extend the rollers (force, depth, kneading, "
            "tapping) are skipped; run the self-test on an empty chair to test them",
        )
        return True

    def check_carriage(self) -> None:
        d = self.d
        top = self._sweep_carriage(d.carriage_y_max_mm)
        bottom = self._sweep_carriage(d.carriage_y_min_mm)
        readings = top + bottom
        ys = np.array([r.carriage_y_mm[0] for r in readings])
        steps = np.abs(np.diff(ys))
        max_step = d.carriage_speed_max_mm_s * TICK_S * 3 + 5.0
        jumps = int(np.sum(steps > max_step))
        self._add(
            "carriage encoder",
            jumps == 0,
            "position readings consistent"
            if jumps == 0
            else f"position reading jumped {float(steps.max()):.0f} mm in one tick {jumps} times "
            f"(at most {max_step:.0f} mm is possible): encoder glitching?",
            largest_step_mm=float(steps.max()),
        )
        moving = steps[(steps > 0.05) & (steps <= max_step)] / TICK_S
        speed = float(np.median(moving)) if moving.size else 0.0
        end_top = float(np.median([r.carriage_y_mm[0] for r in top[-5:]]))
        end_bottom = float(np.median([r.carriage_y_mm[0] for r in bottom[-5:]]))
        reached = (
            abs(end_top - d.carriage_y_max_mm) < 5 and abs(end_bottom - d.carriage_y_min_mm) < 5
        )
        speed_ok = 0.8 * d.carriage_speed_max_mm_s <= speed <= 1.1 * d.carriage_speed_max_mm_s
        self._add(
            "carriage",
            reached and speed_ok,
            f"travelled {end_bottom:.0f}..{end_top:.0f} mm at {speed:.0f} mm/s"
            if reached and speed_ok
            else f"reached {end_bottom:.0f}..{end_top:.0f} mm (expected "
            f"{d.carriage_y_min_mm:.0f}..{d.carriage_y_max_mm:.0f}) at {speed:.0f} mm/s "
            f"(expected about {d.carriage_speed_max_mm_s:.0f})",
            speed_mm_s=speed,
            top_mm=end_top,
            bottom_mm=end_bottom,
        )
        if not d.has_shoulder_sensor:
            self._skip("shoulder sensor", "this chair has none")
        elif not self.occupied:
            felt = [float(r.carriage_y_mm[0]) for r in top if r.shoulder_sensor[0]]
            if felt:
                # Someone the seat sensor misses, or a shoulder sensor that lies: either way the
                # rollers must not extend (the checks that press are skipped).
                self.occupied = True
                self._add(
                    "shoulder sensor",
                    False,
                    f"triggered at {float(np.median(felt)):.0f} mm although the seat senses "
                    "nobody: is someone seated (seat sensor?) or is this sensor faulty? The "
                    "rollers were not extended",
                )
            else:
                self._skip("shoulder sensor", "not tested: nobody seated")
        else:
            trips = [
                float(r.carriage_y_mm[0])
                for r in top
                if r.shoulder_sensor[0] and abs(r.carriage_y_mm[0] - 550) < 300
            ]
            if not trips:
                self._add(
                    "shoulder sensor", False, "never triggered during a full sweep up the back"
                )
            else:
                y = float(np.median(trips))
                self._add("shoulder sensor", True, f"triggered at {y:.0f} mm", shoulder_y_mm=y)

    def _sweep_carriage(self, target_mm: float) -> list[Readings]:
        f = self.ex.frame
        f.carriage_y_target_mm[:] = target_mm
        f.carriage_speed_limit_mm_s[:] = self.d.carriage_speed_max_mm_s
        span = self.d.carriage_y_max_mm - self.d.carriage_y_min_mm
        budget = span / self.d.carriage_speed_max_mm_s + 3.0
        return self.ex.run(
            budget, until=lambda r: bool(np.median(np.abs(r.carriage_y_mm - target_mm)) < 0.5)
        )

    def _force(self, r: Readings) -> float:
        return float(max(r.force_left_n[0], r.force_right_n[0]))

    def check_rollers(self) -> None:
        f = self.ex.frame
        f.carriage_y_target_mm[:] = PROBE_Y_MM
        f.carriage_speed_limit_mm_s[:] = self.d.carriage_speed_max_mm_s
        self.ex.run(25.0, until=lambda r: abs(float(r.carriage_y_mm[0]) - PROBE_Y_MM) < 1.0)
        self.ex.run(0.2)
        pressing = ("roller force sensors", "roller depth", "kneading motor", "tapping motor")
        if self.occupied:
            for part in pressing:
                self._skip(part, SEATED_REASON)
            self._check_width()
            return
        clear = self._probe_force()
        if clear:
            self._check_depth()
        else:
            self._skip("roller depth", "not tested: the rollers met something (see above)")
        self._check_width()
        if clear and not self.occupied:  # the depth sweep may have met someone
            self._command_knead_and_tap()
        else:
            for part in pressing[2:]:
                self._skip(part, "not tested: the rollers met something (see above)")

    def _blocked(self, r: Readings) -> bool:
        """Anything that says the rollers may meet someone: a force, or someone sitting down
        (seat or shoulder sensor) while they are out."""
        return self._force(r) >= GENTLE_FORCE_N or bool(r.occupied[0] or r.shoulder_sensor[0])

    def _what_blocked(self, r: Readings) -> str:
        if r.occupied[0] or r.shoulder_sensor[0]:
            return "someone sat down while the rollers were out."
        return (
            f"something pressed the rollers (left {float(r.force_left_n[0]):.1f} N, right "
            f"{float(r.force_right_n[0]):.1f} N) with the seat empty: an object on the chair, or "
            "someone the seat sensor misses?"
        )

    def _probe_force(self) -> bool:
        """With nobody seated: the force readings at rest, then while the rollers extend slowly
        into the empty seat (at most PROBE_MAX_DEPTH_MM), stopping at once if anything is felt.
        True when nothing was in the way (the sensors read about 0 N, as they should)."""
        f = self.ex.frame
        rest = self.ex.last
        at_rest = [float(rest.force_left_n[0]), float(rest.force_right_n[0])]
        if not all(np.isfinite(at_rest)) or max(at_rest) > UNLOADED_FORCE_MAX_N:
            self._add(
                "roller force sensors",
                False,
                f"read left {at_rest[0]:.1f} N, right {at_rest[1]:.1f} N with the rollers in and "
                f"the seat empty (expected about 0 N): sensor offset or broken?",
                left_n=at_rest[0],
                right_n=at_rest[1],
            )
            return False
        depth = 0.0
        last = rest
        while depth < PROBE_MAX_DEPTH_MM and not self._blocked(last):
            depth = min(depth + 0.2, PROBE_MAX_DEPTH_MM)
            f.depth_target_mm[:] = depth
            last = self.ex.run(TICK_S)[-1]
        left, right = float(last.force_left_n[0]), float(last.force_right_n[0])
        reached = float(last.depth_mm[0])
        self._retract()
        if self._blocked(last):
            self.occupied = True  # whatever it is, nothing extends into it again
            return self._add(
                "roller force sensors",
                False,
                f"at {reached:.0f} mm {self._what_blocked(last)} The rollers were retracted",
                left_n=left,
                right_n=right,
            )
        self.results.append(
            PartResult(
                "roller force sensors",
                Verdict.SKIP,
                f"read left {left:.1f} N, right {right:.1f} N at {reached:.0f} mm with nothing to "
                "press, as they should; whether they respond to a load is checked on the "
                "person's back by every scan and session (a silent sensor stops the chair)",
                {"left_n": left, "right_n": right},
            )
        )
        return True

    def _check_depth(self) -> None:
        """Full extension at full speed into the empty seat and back, stopping at once if
        anything presses the rollers."""
        d, f = self.d, self.ex.frame
        limit = d.depth_max_mm
        f.depth_target_mm[:] = 0.0
        self.ex.run(5.0, until=lambda r: float(r.depth_mm[0]) < 0.5)
        f.depth_target_mm[:] = limit

        def stop(r: Readings) -> bool:
            return float(r.depth_mm[0]) >= limit - 0.5 or self._blocked(r)

        out = self.ex.run(limit / d.depth_speed_max_mm_s + 3.0, until=stop)
        blocked = self._blocked(out[-1])
        reached = float(out[-1].depth_mm[0])
        back = self._retract()
        if blocked:
            self.occupied = True
            self._add(
                "roller depth",
                False,
                f"at {reached:.0f} mm {self._what_blocked(out[-1])} The rollers were retracted",
                depth_mm=reached,
            )
            return
        depths = np.array([r.depth_mm[0] for r in out])
        # Over 100 ms windows, so that sensor noise does not pass for speed.
        speeds = np.abs(depths[10:] - depths[:-10]) / (10 * TICK_S)
        speed = float(np.percentile(speeds, 90)) if speeds.size else 0.0
        speed_ok = 0.7 * d.depth_speed_max_mm_s <= speed <= 1.15 * d.depth_speed_max_mm_s
        home = float(back[-1].depth_mm[0])
        ok = speed_ok and home < 1.0 and reached > limit - 1
        self._add(
            "roller depth",
            ok,
            f"extended 0→{reached:.0f} mm at {speed:.0f} mm/s and retracted"
            if ok
            else f"extended to {reached:.0f} mm at {speed:.0f} mm/s (expected "
            f"{limit:.0f} mm at about {d.depth_speed_max_mm_s:.0f}), retracted to {home:.1f} mm",
            depth_mm=reached,
            speed_mm_s=speed,
        )

    def _retract(self) -> list[Readings]:
        self.ex.frame.depth_target_mm[:] = 0.0
        return self.ex.run(6.0, until=lambda r: float(r.depth_mm[0]) < 0.5)

    def _check_width(self) -> None:
        d, f = self.d, self.ex.frame
        ends = []
        for target in (d.width_min_mm, d.width_max_mm):
            f.width_target_mm[:] = target
            out = self.ex.run(
                (d.width_max_mm - d.width_min_mm) / d.width_speed_max_mm_s + 2.0,
                until=lambda r, t=target: abs(float(r.width_mm[0]) - t) < 0.5,  # type: ignore[misc]
            )
            ends.append(float(out[-1].width_mm[0]))
        f.width_target_mm[:] = (d.width_min_mm + d.width_max_mm) / 2
        self.ex.run(3.0)
        ok = abs(ends[0] - d.width_min_mm) < 2 and abs(ends[1] - d.width_max_mm) < 2
        self._add(
            "roller width",
            ok,
            f"moved {ends[0]:.0f}..{ends[1]:.0f} mm"
            if ok
            else f"reached {ends[0]:.0f}..{ends[1]:.0f} mm, expected "
            f"{d.width_min_mm:.0f}..{d.width_max_mm:.0f}",
        )

    def _command_knead_and_tap(self) -> None:
        """Run the kneading and tapping motors with the rollers in. With nobody seated there is
        no force to see them by, so the technician listens (as for the foot rollers)."""
        d, f = self.d, self.ex.frame
        f.depth_target_mm[:] = 0.0
        f.knead_speed_cpm[:] = d.knead_speed_max_cpm
        self.ex.run(3.0)
        f.knead_speed_cpm[:] = 0.0
        self._skip(
            "kneading motor",
            f"run at {d.knead_speed_max_cpm:.0f} cycles/min for 3 s with the rollers in; with "
            "nobody seated there is no force to see it by, so listen for it",
        )
        rate = min(8.0, d.tap_rate_max_hz)
        f.tap_rate_hz[:] = rate
        f.tap_mode[:] = int(TapMode.ALTERNATE)
        self.ex.run(2.0)
        f.tap_mode[:] = int(TapMode.TOGETHER)
        self.ex.run(2.0)
        f.tap_rate_hz[:] = 0.0
        self._skip(
            "tapping motor",
            f"run at {rate:.0f} Hz, alternating then together, 2 s each, with the rollers in; "
            "listen for it",
        )

    def check_air(self) -> None:
        d, f = self.d, self.ex.frame
        target = min(15.0, d.air_pressure_max_kpa / 2)
        start = self.ex.last.air_pressure_kpa[0].copy()
        f.air_pressure_target_kpa[:] = target
        first = self.ex.run(2.0)
        rise = first[-1].air_pressure_kpa[0] - start
        if float(rise.max()) < 1.0:
            self._add(
                "air pump",
                False,
                f"no cushion's pressure rose in 2 s (largest rise {float(rise.max()):.2f} kPa): "
                "pump dead?",
            )
            for zone in d.air_zones:
                self._skip(f"air {zone}", "not tested: the air pump failed")
            f.air_pressure_target_kpa[:] = 0.0
            return
        self._add("air pump", True, "pressure rises when inflating")
        out = self.ex.run(12.0, until=lambda r: bool(np.all(r.air_pressure_kpa[0] >= target - 1)))
        peak = out[-1].air_pressure_kpa[0].copy()
        f.air_pressure_target_kpa[:] = 0.0
        vented = self.ex.run(6.0, until=lambda r: bool(np.all(r.air_pressure_kpa[0] < 1.0)))
        low = vented[-1].air_pressure_kpa[0]
        for i, zone in enumerate(d.air_zones):
            if peak[i] < target - 3:
                self._add(
                    f"air {zone}",
                    False,
                    f"did not inflate: {peak[i]:.1f} kPa after 14 s (target {target:.0f}): "
                    "valve stuck or hose loose?",
                )
            elif low[i] > 2.0:
                self._add(
                    f"air {zone}",
                    False,
                    f"did not vent: still {low[i]:.1f} kPa after 6 s: valve stuck?",
                )
            else:
                self._add(
                    f"air {zone}",
                    True,
                    f"inflated to {peak[i]:.1f} kPa and vented",
                    peak_kpa=peak[i],
                )

    def check_heaters(self) -> None:
        d, f, lim = self.d, self.ex.frame, self.limits
        f.heater_target_c[:] = 0.0
        off = self.ex.run(10.0)
        f.heater_target_c[:] = lim.heater_default_target_c
        on = self.ex.run(30.0)
        f.heater_target_c[:] = 0.0
        for i, name in enumerate(d.heaters):
            temps_off = np.array([r.heater_temp_c[0, i] for r in off])
            temps_on = np.array([r.heater_temp_c[0, i] for r in on])
            every = np.concatenate([temps_off, temps_on])
            part = f"heater {name}"
            lo, hi = lim.heater_sensor_min_plausible_c, lim.heater_sensor_max_plausible_c
            if every.min() < lo or every.max() > hi:
                bad = float(every.min() if every.min() < lo else every.max())
                kind = "open circuit?" if bad < lo else "short circuit?"
                self._add(
                    part,
                    False,
                    f"sensor reads {bad:.1f} °C ({kind}); plausible range {lo:.0f}..{hi:.0f} °C",
                )
                continue
            if np.ptp(every) < 0.01:
                self._add(
                    part,
                    False,
                    f"sensor reading did not change from {every[0]:.2f} °C in 40 s, heater on "
                    "and off (sensor stuck?)",
                )
                continue
            drift_off = float(np.mean(temps_off[-50:]) - np.mean(temps_off[:50]))
            if drift_off > 0.5:
                self._add(
                    part,
                    False,
                    f"warms while switched off (+{drift_off:.1f} °C in 10 s): relay stuck on?",
                )
                continue
            gain = float(np.mean(temps_on[-50:]) - np.mean(temps_on[:50]))
            self._add(
                part,
                gain >= 1.0,
                f"warmed by {gain:.1f} °C in 30 s"
                if gain >= 1.0
                else f"did not warm: {gain:+.1f} °C in 30 s, expected at least +1 °C",
                gain_c=gain,
            )

    def check_recline(self) -> None:
        d, f, lim = self.d, self.ex.frame, self.limits
        results: dict[str, str] = {}
        for up in (True, False):
            f.backrest_angle_target_deg[:] = (
                d.backrest_angle_max_deg if up else d.backrest_angle_min_deg
            )
            f.legrest_angle_target_deg[:] = (
                d.legrest_angle_max_deg if up else d.legrest_angle_min_deg
            )
            for _ in range(round((d.recline_full_travel_s + 3) / TICK_S)):
                r = self.ex.run(TICK_S)[-1]
                for part, current, angle in (
                    ("backrest", r.backrest_current_a[0], r.backrest_angle_deg[0]),
                    ("leg rest", r.legrest_current_a[0], r.legrest_angle_deg[0]),
                ):
                    if current > lim.recline_current_spike_a and part not in results:
                        # Stop that motor at once and back off a little, as the supervisor would.
                        results[part] = (
                            f"current spiked to {current:.1f} A at {angle:.0f}° while "
                            f"{'raising' if up else 'lowering'}: something caught?"
                        )
                        target = (
                            f.backrest_angle_target_deg
                            if part == "backrest"
                            else (f.legrest_angle_target_deg)
                        )
                        step = 2.0 if not up else -2.0
                        lo, hi = (
                            (d.backrest_angle_min_deg, d.backrest_angle_max_deg)
                            if part == "backrest"
                            else (d.legrest_angle_min_deg, d.legrest_angle_max_deg)
                        )
                        target[:] = np.clip(angle + step, lo, hi)
                done_b = abs(r.backrest_angle_deg[0] - f.backrest_angle_target_deg[0]) < 0.2
                done_l = abs(r.legrest_angle_deg[0] - f.legrest_angle_target_deg[0]) < 0.2
                if done_b and done_l:
                    break
        last = self.ex.last
        for part, angle, lo in (
            ("backrest", last.backrest_angle_deg[0], d.backrest_angle_min_deg),
            ("leg rest", last.legrest_angle_deg[0], d.legrest_angle_min_deg),
        ):
            if part in results:
                self._add(part, False, results[part])
            elif abs(angle - lo) > 1.0:
                self._add(
                    part, False, f"did not return: stopped at {angle:.0f}°, expected {lo:.0f}°"
                )
            else:
                self._add(part, True, "moved through its range and back, current normal")

    def check_foot_rollers(self) -> None:
        f = self.ex.frame
        for level in range(1, self.d.foot_roller_levels + 1):
            f.foot_roller_level[:] = level
            self.ex.run(0.5)
        f.foot_roller_level[:] = 0
        self._skip(
            "foot rollers",
            f"levels 1..{self.d.foot_roller_levels} commanded; this chair reports no foot-roller "
            "reading, so listen for them",
        )

    def check_watchdog(self) -> None:
        silent = self.ex.silence(self.d.watchdog_timeout_s + 0.05)
        tripped = bool(silent.fault_flags[0] & BoardFault.WATCHDOG)
        resumed = self.ex.run(0.1)[-1]
        recovered = not (resumed.fault_flags[0] & BoardFault.WATCHDOG)
        self._add(
            "watchdog",
            tripped and recovered,
            "trips after silence and recovers when frames resume"
            if tripped and recovered
            else (
                f"did not trip after {(self.d.watchdog_timeout_s + 0.05) * 1000:.0f} ms without "
                "frames"
                if not tripped
                else "stayed tripped after frames resumed"
            ),
        )

    def check_supply_relay(self) -> None:
        """The second way to remove power: open the supply relay with a heater asked to heat,
        and see the board report the supply off and the heater draw nothing, then close it."""
        if not self.d.supply_relay:
            self._skip("supply relay", "this chair reports no supply relay")
            return
        f = self.ex.frame
        f.heater_target_c[:, 0] = self.limits.heater_default_target_c
        f.supply_off = np.ones(1, dtype=bool)
        opened = self.ex.run(0.3)[-1]
        f.supply_off = np.zeros(1, dtype=bool)
        f.heater_target_c[:] = 0.0
        closed = self.ex.run(0.2)[-1]
        is_open = bool(opened.fault_flags[0] & BoardFault.SUPPLY_OPEN)
        current = float(opened.heater_current_a[0].max()) if opened.heater_current_a.size else 0.0
        reclosed = not (closed.fault_flags[0] & BoardFault.SUPPLY_OPEN)
        ok = is_open and current == 0.0 and reclosed
        self._add(
            "supply relay",
            ok,
            "opened (no power, heater drew nothing) and closed again"
            if ok
            else "did not open: power stayed on (relay contacts welded?)"
            if not is_open
            else f"opened, yet a heater drew {current:.1f} A"
            if current
            else "stayed open after it was told to close",
        )
