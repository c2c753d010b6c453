"""From a stream of landmark frames to posture events and a day's tally.

The monitor smooths the deviation from the calibrated posture, switches each check on and off with
hysteresis, nudges only after sustained slouching, and tracks presence: away after a few seconds
with nobody in view, back after a few seconds in view. Time comes only from the frames' own
timestamps (the worker's injected clock), so recorded sequences replay exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np

from openchair.posture.calibration import Calibration
from openchair.posture.config import PostureConfig
from openchair.posture.events import (
    PostureDaySummary,
    PostureEvent,
    PostureEventKind,
    SittingStreak,
    SlouchReason,
)
from openchair.posture.landmarks import PoseFrame
from openchair.posture.metrics import Deviation, FrontalMetrics, Metrics, deviation, measure

_CHECKS: tuple[tuple[str, str, SlouchReason], ...] = (
    ("head_drop", "head_drop_sw", SlouchReason.HEAD_FORWARD),
    ("head_sink", "head_sink_sw", SlouchReason.SLUMPED),
    ("shoulders_raised", "shoulders_raised_sw", SlouchReason.SHOULDERS_RAISED),
    ("lean_deg", "lean_deg", SlouchReason.LEANING_SIDEWAYS),
    ("closer", "closer_ratio", SlouchReason.TOO_CLOSE),
    ("neck_deg", "neck_deg", SlouchReason.NECK_BENT),
    ("torso_deg", "torso_deg", SlouchReason.TORSO_BENT),
)


@dataclass(frozen=True)
class PostureState:
    """What the monitor thinks after a frame (for the live view and the JSON stream)."""

    t_s: float
    present: bool
    metrics: Metrics | None
    smoothed: Deviation | None
    reasons: tuple[SlouchReason, ...]
    slouched_for_s: float

    @property
    def slouched(self) -> bool:
        return bool(self.reasons)


class PostureMonitor:
    """Feed frames in time order with ``observe``; it returns the events each one caused."""

    def __init__(
        self,
        calibration: Calibration,
        config: PostureConfig | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.calibration = calibration
        self.config = config or PostureConfig()
        self._tz = tz
        self._prev_t: float | None = None
        self._present = False
        self._slouched = False
        self._last_seen: float | None = None
        self._seen_since: float | None = None  # while away: start of the current sighting
        self._away_since: float | None = None
        self._smoothed: np.ndarray | None = None
        self._on: dict[str, bool] = {name: False for name, _, _ in _CHECKS}
        self._slouch_since: float | None = None
        self._last_nudge: float | None = None
        self._streak_start: float | None = None
        self._days: dict[str, PostureDaySummary] = {}
        self._prev_bucket = "away"
        self._pending_s = 0.0
        self._pending_day: str | None = None
        self._smooth_t = 0.0
        self._eye_px: float | None = None
        self.state = PostureState(0.0, False, None, None, (), 0.0)

    # -- the day's tally ------------------------------------------------------------------------

    def _day(self, t_s: float) -> PostureDaySummary:
        date = datetime.fromtimestamp(t_s, self._tz).date().isoformat()
        if date not in self._days:
            self._days[date] = PostureDaySummary(date=date)
        return self._days[date]

    def _account(self, now: float) -> None:
        """Credit the time since the previous frame to what that frame showed.

        Time with nobody in view while still counted present (a short occlusion), and time in
        view while not yet counted back, is held as pending until the monitor decides: it then
        goes to sitting or to away, so brief dropouts never split the tally.
        """
        if self._prev_t is None:
            return
        dt = now - self._prev_t
        day = self._day(self._prev_t)
        if dt > self.config.max_gap_s:
            day.unobserved_s += dt
        elif self._prev_bucket == "sitting":
            day.sitting_s += dt
            if self._slouched:
                day.slouched_s += dt
        elif self._prev_bucket == "away":
            day.away_s += dt
        else:
            if self._pending_day is None:
                self._pending_day = day.date
            self._pending_s += dt

    def _resolve_pending(self, bucket: str) -> None:
        if self._pending_day is not None:
            day = self._days[self._pending_day]
            if bucket == "sitting":
                day.sitting_s += self._pending_s
            else:
                day.away_s += self._pending_s
        self._pending_s = 0.0
        self._pending_day = None

    def summaries(self) -> list[PostureDaySummary]:
        """Each day seen so far; the running sitting streak is included up to the last frame."""
        out = []
        for day in self._days.values():
            streaks = list(day.streaks)
            if self._streak_start is not None and self._prev_t is not None:
                end = self._last_seen if self._last_seen is not None else self._prev_t
                if self._day(self._streak_start).date == day.date and end > self._streak_start:
                    streaks.append(SittingStreak(self._streak_start, end))
            out.append(
                PostureDaySummary(
                    date=day.date,
                    sitting_s=day.sitting_s,
                    slouched_s=day.slouched_s,
                    away_s=day.away_s,
                    unobserved_s=day.unobserved_s,
                    nudges=day.nudges,
                    breaks=day.breaks,
                    streaks=streaks,
                )
            )
        return out

    # -- the frame step -------------------------------------------------------------------------

    def observe(self, frame: PoseFrame) -> list[PostureEvent]:
        now = frame.t_s
        if self._prev_t is not None and now < self._prev_t:
            raise ValueError(f"frames out of order: {now} after {self._prev_t}")
        self._account(now)
        gap_s = 0.0 if self._prev_t is None else now - self._prev_t
        if gap_s > self.config.max_gap_s:  # nothing is known about the pause:
            self._reset_slouch()  # smoothing and slouch timing start afresh
        if gap_s >= self.config.break_min_s:
            # A long pause (laptop asleep, monitor stopped) is neither sitting nor a break we
            # saw: the streak ends where the frames stopped, and presence is confirmed anew.
            if self._present and self._prev_t is not None:
                self._close_streak(self._last_seen or self._prev_t)
            self._resolve_pending("away")
            self._present = False
            self._away_since = self._seen_since = self._streak_start = None
        self._prev_t = now
        events = self._presence(frame, now)
        metrics = measure(frame, self.calibration.mode) if frame.person else None
        if self._present and metrics is not None:
            events += self._posture(metrics, now)
        elif not self._present:
            self._reset_slouch()
        reasons = self._reasons()
        self.state = PostureState(
            t_s=now,
            present=self._present,
            metrics=metrics,
            smoothed=None if self._smoothed is None else Deviation.from_array(self._smoothed),
            reasons=reasons,
            slouched_for_s=0.0 if self._slouch_since is None else now - self._slouch_since,
        )
        return events

    def _presence(self, frame: PoseFrame, now: float) -> list[PostureEvent]:
        cfg = self.config
        events: list[PostureEvent] = []
        if frame.person:
            if self._seen_since is None:
                self._seen_since = now
            self._last_seen = now
            if self._present:
                self._resolve_pending("sitting")
            elif now - self._seen_since >= cfg.back_after_s:
                self._resolve_pending("sitting")
                events = self._become_present()
        else:
            # A sighting survives single missed detections; a real gap ends it.
            lost = self._last_seen is None or now - self._last_seen >= cfg.back_after_s / 2
            if not self._present and self._seen_since is not None and lost:
                self._resolve_pending("away")  # a glimpse too short to count as back
                self._seen_since = None
            elif self._present:
                self._seen_since = None
            if (
                self._present
                and self._last_seen is not None
                and now - self._last_seen >= cfg.away_after_s
            ):
                self._present = False
                self._away_since = self._last_seen
                self._resolve_pending("away")
                self._reset_slouch()
                events = [PostureEvent(PostureEventKind.AWAY, self._last_seen)]
        if self._present:
            self._prev_bucket = "sitting" if frame.person else "pending"
        else:
            self._prev_bucket = "pending" if frame.person else "away"
        return events

    def _become_present(self) -> list[PostureEvent]:
        assert self._seen_since is not None
        self._present = True
        if self._away_since is None:  # a first sighting: a streak starts, nothing to report
            self._streak_start = self._seen_since
            return []
        away = self._seen_since - self._away_since
        was_break = away >= self.config.break_min_s
        if was_break:
            self._close_streak(self._away_since)
            self._day(self._away_since).breaks += 1
            self._streak_start = self._seen_since
        self._away_since = None
        return [
            PostureEvent(
                PostureEventKind.BACK, self._seen_since, away_for_s=away, was_break=was_break
            )
        ]

    def _close_streak(self, end: float) -> None:
        if self._streak_start is not None and end > self._streak_start:
            self._day(self._streak_start).streaks.append(SittingStreak(self._streak_start, end))
        self._streak_start = None

    def _posture(self, metrics: Metrics, now: float) -> list[PostureEvent]:
        cfg = self.config
        eye_px = metrics.eye_px if isinstance(metrics, FrontalMetrics) else None
        if self._smoothed is None or eye_px is None or self._eye_px is None:
            self._eye_px = eye_px
            dev = deviation(metrics, self.calibration.baseline, self._eye_px).as_array()
            self._smoothed = dev
        else:
            dt = max(now - self._smooth_t, 0.0)
            self._eye_px += _ema_gain(dt, cfg.scale_smoothing_s) * (eye_px - self._eye_px)
            dev = deviation(metrics, self.calibration.baseline, self._eye_px).as_array()
            self._smoothed = self._smoothed + _ema_gain(dt, cfg.smoothing_s) * (
                dev - self._smoothed
            )
        self._smooth_t = now
        smooth = Deviation.from_array(self._smoothed)
        for name, limit_name, _ in _CHECKS:
            value = getattr(smooth, name)
            limit = getattr(cfg, limit_name)
            self._on[name] = value >= (limit * cfg.release if self._on[name] else limit)
        self._slouched = any(self._on.values())
        if not self._slouched:
            self._slouch_since = None
            return []
        if self._slouch_since is None:
            self._slouch_since = now
        held = now - self._slouch_since
        due = held >= cfg.nudge_after_s and (
            self._last_nudge is None or now - self._last_nudge >= cfg.nudge_repeat_s
        )
        if not due:
            return []
        self._last_nudge = now
        self._day(now).nudges += 1
        return [
            PostureEvent(PostureEventKind.NUDGE, now, reasons=self._reasons(), slouched_for_s=held)
        ]

    def _reasons(self) -> tuple[SlouchReason, ...]:
        return tuple(reason for name, _, reason in _CHECKS if self._on[name])

    def _reset_slouch(self) -> None:
        self._smoothed = None
        self._eye_px = None
        self._slouched = False
        self._slouch_since = None
        for k in self._on:
            self._on[k] = False


def _ema_gain(dt: float, tau: float) -> float:
    """Weight of a new sample after ``dt`` seconds for an exponential mean of time constant tau."""
    return 1.0 - math.exp(-dt / tau) if tau > 0 else 1.0
