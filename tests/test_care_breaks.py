"""The break scheduler over simulated weeks: limits, working hours, days off, summer time,
a night shift, idle time and do-not-disturb; and the records and statistics it leaves."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openchair.care.breaks import ANSWER_MINUTES, BreakRefusedError, BreakScheduler
from openchair.care.loader import ExerciseLibrary
from openchair.care.records import (
    BreakRecord,
    JsonLinesBreakRepository,
    MemoryBreakRepository,
    daily_stats,
)
from openchair.care.settings import PlanSettings
from openchair.cli.app import _register_commands, app
from openchair.cli.breaks_cmd import run_helper

EXERCISES = ExerciseLibrary(user_dir=Path("/nonexistent")).load_all()[0]
BERLIN = ZoneInfo("Europe/Berlin")
STEP = timedelta(seconds=30)

Policy = Callable[[BreakScheduler, datetime], None]


def obedient(s: BreakScheduler, now: datetime) -> None:
    if s.pending is not None:
        s.finish(now)


def simulate(
    settings: PlanSettings,
    start: datetime,
    days: float,
    policy: Policy = obedient,
    idle: Callable[[datetime], float] | None = None,
    quiet: Callable[[datetime], bool] | None = None,
    step: timedelta = STEP,
) -> tuple[MemoryBreakRepository, list[tuple[datetime, str]]]:
    """Run the scheduler on a simulated clock; returns the records and every offer (time, kind)."""
    repo = MemoryBreakRepository()
    clock = [start.astimezone(UTC)]  # step real time: a zone's own arithmetic is wall-clock
    s = BreakScheduler(
        settings,
        repo,
        EXERCISES,
        idle_seconds=(lambda: idle(clock[0])) if idle else (lambda: 0.0),
        quiet=(lambda: quiet(clock[0])) if quiet else (lambda: False),
    )
    offers: list[tuple[datetime, str]] = []
    end = clock[0] + timedelta(days=days)
    while clock[0] < end:
        b = s.tick(clock[0])
        if b is not None:
            offers.append((clock[0], b.kind))
        policy(s, clock[0])
        clock[0] += step
    return repo, offers


def local(t: datetime) -> datetime:
    return t.astimezone(BERLIN)


def test_week_across_summer_time_offers_breaks_only_in_working_hours() -> None:
    # Thursday 26 March to Wednesday 1 April 2026: Berlin moves to summer time on Sunday 29.
    settings = PlanSettings(timezone="Europe/Berlin", work_start="09:00", work_end="17:30")
    start = datetime(2026, 3, 26, 0, 0, tzinfo=BERLIN).astimezone(UTC)
    repo, offers = simulate(settings, start, 7)
    longs = [local(t) for t, k in offers if k == "long"]
    micros = [local(t) for t, k in offers if k == "micro"]
    for t in longs + micros:
        assert t.weekday() < 5, "a break on the weekend"
        assert (9, 0) <= (t.hour, t.minute) < (17, 30)
    days = sorted({t.date() for t in longs})
    assert days == [date(2026, 3, d) for d in (26, 27, 30, 31)] + [date(2026, 4, 1)]
    # The same wall-clock times before and after the change: first break an hour after 09:00.
    firsts = {d: min(t for t in longs if t.date() == d) for d in days}
    assert {f.strftime("%H:%M") for f in firsts.values()} == {"10:00"}
    assert firsts[date(2026, 3, 27)].utcoffset() != firsts[date(2026, 3, 30)].utcoffset()
    # Eight movement breaks in 8.5 hours, micro breaks between them.
    assert Counter(t.date() for t in longs) == dict.fromkeys(days, 8)
    assert micros and all(t.minute in (20, 40) for t in micros)
    stats = daily_stats(repo.all())
    assert [s.day for s in stats] == days
    for day_stats in stats:
        assert day_stats.longest_sitting_minutes <= 60.5
        assert day_stats.skipped == 0 and not day_stats.unhealthy


def test_postpone_and_skip_limits_hold_over_a_week() -> None:
    settings = PlanSettings.model_validate(
        {"timezone": "Europe/Berlin", "breaks": {"postpone_limit": 2, "skip_limit_per_day": 3}}
    )
    refusals = Counter[str]()

    def reluctant(s: BreakScheduler, now: datetime) -> None:
        # Postpones while allowed, then skips while allowed, then takes the break.
        if s.pending is None:
            return
        try:
            s.postpone(now)
            return
        except BreakRefusedError:
            refusals["postpone"] += 1
        try:
            s.skip(now)
            return
        except BreakRefusedError:
            refusals["skip"] += 1
        s.finish(now, fully=False)

    start = datetime(2026, 6, 1, tzinfo=BERLIN)  # a Monday
    repo, _ = simulate(settings, start, 7, reluctant)
    records = repo.all()
    by_day: dict[date, list[BreakRecord]] = {}
    for r in records:
        by_day.setdefault(r.day, []).append(r)
    assert len(by_day) == 5
    for day_records in by_day.values():
        assert sum(r.outcome == "skipped" and r.kind == "long" for r in day_records) <= 3
        assert sum(r.outcome == "skipped" for r in day_records) == 3
        # Between two offers of the same break there are at most two postpones.
        run = 0
        for r in day_records:
            if r.outcome == "postponed":
                run += 1
                assert run <= 2
            elif r.outcome in ("skipped", "done", "partly", "natural", "missed"):
                run = 0
    assert refusals["postpone"] > 0 and refusals["skip"] > 0
    stats = daily_stats(records)
    assert all(s.unhealthy == (s.skipped / s.offered >= 0.2) for s in stats)
    # Each break is put off by two 5-minute postpones and at most three a day are skipped, so
    # sitting never runs past four postponed breaks' worth (micro breaks use skips too).
    longest = max(s.longest_sitting_minutes for s in stats)
    assert 70 <= longest <= 4 * 70 + 1


def test_strict_mode_refuses_postpone_and_skip() -> None:
    settings = PlanSettings.model_validate({"breaks": {"strict": True}})
    s = BreakScheduler(settings, MemoryBreakRepository(), EXERCISES)
    t = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    while s.pending is None:
        t += STEP
        s.tick(t)
    assert s.pending.postpones_left == 0 and s.pending.skips_left == 0
    with pytest.raises(BreakRefusedError, match="strict"):
        s.postpone(t)
    with pytest.raises(BreakRefusedError, match="strict"):
        s.skip(t)
    s.finish(t)
    assert s.pending is None


def test_night_shift_across_midnight_and_the_autumn_clock_change() -> None:
    # Saturday 24 October 2026, 22:00 to Sunday 06:00 in Berlin: the clocks go back at 03:00,
    # so the shift is 9 hours long, and its breaks belong to Saturday's shift.
    settings = PlanSettings(
        timezone="Europe/Berlin",
        work_days=["sat"],
        work_start="22:00",
        work_end="06:00",
        breaks={"micro_every_minutes": 0},
    )
    start = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    repo, offers = simulate(settings, start, 1.5)
    longs = [t for t, k in offers if k == "long"]
    assert len(longs) == 8  # every 60 min over 9 h of sitting, the last at 05:00 winter time
    assert local(longs[0]).strftime("%a %H:%M") == "Sat 23:00"
    assert local(longs[-1]).strftime("%a %H:%M") == "Sun 05:00"
    gaps = {b - a for a, b in itertools.pairwise(longs)}
    assert gaps == {timedelta(minutes=60)}  # real elapsed sitting time, not wall-clock hours
    assert {r.day for r in repo.all()} == {date(2026, 10, 24)}
    assert any(r.outcome == "day-end" for r in repo.all())


def test_idle_time_counts_as_a_break_and_quiet_time_holds_one() -> None:
    settings = PlanSettings(timezone="UTC", breaks={"micro_every_minutes": 0})
    day = datetime(2026, 6, 1, tzinfo=UTC)

    def idle(now: datetime) -> float:
        # Away from 09:40 to 09:50 (lunch came early): idle seconds grow while away.
        away = day.replace(hour=9, minute=40)
        back = day.replace(hour=9, minute=50)
        return (now - away).total_seconds() if away <= now < back else 0.0

    def quiet(now: datetime) -> bool:
        return day.replace(hour=10, minute=40) <= now < day.replace(hour=11, minute=5)

    repo, offers = simulate(settings, day, 1, idle=idle, quiet=quiet)
    longs = [t.strftime("%H:%M") for t, k in offers if k == "long"]
    # Natural break at 09:45 (5 min idle) restarts the hour; the 10:45 break waits out the
    # presentation and comes at 11:05; then hourly again.
    assert longs[:3] == ["11:05", "12:05", "13:05"]
    natural = [r for r in repo.all() if r.outcome == "natural"]
    assert len(natural) == 1 and natural[0].at.strftime("%H:%M") == "09:45"
    assert natural[0].sat_minutes == pytest.approx(40.0)


def test_an_unanswered_break_is_recorded_as_missed_and_comes_back() -> None:
    settings = PlanSettings(timezone="UTC", breaks={"micro_every_minutes": 0})
    day = datetime(2026, 6, 1, tzinfo=UTC)
    repo, offers = simulate(settings, day, 1, policy=lambda s, now: None)
    longs = [t for t, k in offers if k == "long"]
    assert longs[1] - longs[0] == timedelta(minutes=ANSWER_MINUTES + 30)
    assert Counter(r.outcome for r in repo.all())["missed"] == len(longs)


def test_json_lines_records_survive_a_bad_line_and_feed_the_stats(tmp_path: Path) -> None:
    path = tmp_path / "breaks.jsonl"
    repo = JsonLinesBreakRepository(path)
    t = datetime(2026, 6, 1, 10, tzinfo=UTC)
    repo.add(BreakRecord(t, t.date(), "long", "offered", "chin-tuck"))
    repo.add(BreakRecord(t, t.date(), "long", "done", "chin-tuck", 61.5))
    with path.open("a") as f:
        f.write('{"half": \n')
    repo.add(BreakRecord(t, t.date(), "micro", "skipped"))
    records = repo.all()
    assert [r.outcome for r in records] == ["offered", "done", "skipped"]
    assert repo.bad_lines == 1 and '{"half":' in path.read_text()
    (st,) = daily_stats(records)
    assert (st.offered, st.done, st.skipped, st.longest_sitting_minutes) == (1, 1, 1, 61.5)
    assert st.unhealthy


def test_cli_stats_and_the_helper_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(tmp_path))
    _register_commands()
    runner = CliRunner()
    r = runner.invoke(app, ["breaks", "stats"])
    assert r.exit_code == 0 and "no breaks recorded yet" in r.output
    # The helper on a simulated clock, answering from a scripted keyboard.
    settings = PlanSettings(timezone="UTC", breaks={"micro_every_minutes": 0})
    repo = JsonLinesBreakRepository(tmp_path / "breaks.jsonl")
    s = BreakScheduler(settings, repo, EXERCISES)
    clock = [datetime(2026, 6, 1, 9, 0, tzinfo=UTC)]
    keys = iter(["z", "z", "z", "s", "d"])
    shown: list[str] = []

    def read_key(timeout: float) -> str | None:
        clock[0] += timedelta(seconds=timeout)
        return next(keys, None) if s.pending is not None else None

    run_helper(
        s,
        lambda: clock[0],
        read_key,
        lambda title, body: shown.append(f"{title}: {body}"),
        {e.label(): e.name for e in EXERCISES},
        lambda: clock[0] > datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        poll_s=60,
    )
    assert any("not allowed: this break was already postponed 2 times" in m for m in shown)
    assert any(m.endswith("skipped") for m in shown)
    r = runner.invoke(app, ["breaks", "stats", "--json"])
    assert r.exit_code == 0, r.output
    assert '"postponed": 2' in r.output and '"skipped": 1' in r.output


@hsettings(max_examples=12, deadline=None)
@given(
    answers=st.lists(st.sampled_from("dpzs-"), min_size=1, max_size=40),
    postpone_limit=st.integers(0, 3),
    skip_limit=st.integers(0, 4),
    strict=st.booleans(),
)
def test_any_answers_keep_the_limits(
    answers: list[str], postpone_limit: int, skip_limit: int, strict: bool
) -> None:
    """Whatever the person answers, limits and working hours hold (two work days)."""
    s = PlanSettings.model_validate(
        {
            "timezone": "America/New_York",
            "work_start": "08:00",
            "work_end": "12:00",
            "breaks": {
                "postpone_limit": postpone_limit,
                "skip_limit_per_day": skip_limit,
                "strict": strict,
                "every_minutes": 30,
            },
        }
    )
    turn = [0]

    def policy(sch: BreakScheduler, now: datetime) -> None:
        if sch.pending is None:
            return
        key = answers[turn[0] % len(answers)]
        turn[0] += 1
        try:
            if key == "d":
                sch.finish(now)
            elif key == "p":
                sch.finish(now, fully=False)
            elif key == "z":
                sch.postpone(now)
            elif key == "s":
                sch.skip(now)
        except BreakRefusedError:
            pass

    start = datetime(2026, 3, 6, 6, 0, tzinfo=ZoneInfo("America/New_York"))  # Fri, then Mon
    repo, offers = simulate(s, start, 3.2, policy, step=timedelta(minutes=1))
    ny = ZoneInfo("America/New_York")
    for t, _ in offers:
        lt = t.astimezone(ny)
        assert lt.weekday() < 5 and 8 <= lt.hour < 12
    for day, rs in itertools.groupby(repo.all(), key=lambda r: r.day):
        rs_list = list(rs)
        skips = sum(r.outcome == "skipped" for r in rs_list)
        assert skips <= (0 if strict else skip_limit)
        run = 0
        for r in rs_list:
            if r.outcome == "postponed" and r.kind == "long":
                run += 1
                assert run <= (0 if strict else postpone_limit), day
            elif r.kind == "long" and r.outcome in ("skipped", "done", "partly", "natural"):
                run = 0


def test_helper_refuses_a_data_folder_it_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(blocker / "sub"))
    _register_commands()
    r = CliRunner().invoke(app, ["breaks"])
    assert r.exit_code == 2 and "cannot record breaks there" in r.output
