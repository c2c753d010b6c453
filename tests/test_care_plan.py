"""The daily plan's rules and its calendar export, read back by an independent library."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openchair.care.ical import plan_ical
from openchair.care.loader import ExerciseLibrary
from openchair.care.model import AREAS, CAUTION_FLAGS
from openchair.care.plan import PROGRAM_MINUTES, plan_day
from openchair.care.settings import PlanSettings, SettingsError, load_settings
from openchair.cli.app import _register_commands, app
from openchair.programs import ProgramLibrary

EXERCISES = ExerciseLibrary(user_dir=Path("/nonexistent")).load_all()[0]
BY_ID = {e.label(): e for e in EXERCISES}
BERLIN = "Europe/Berlin"


@settings(max_examples=60, deadline=None)
@given(
    cautions=st.sets(st.sampled_from(CAUTION_FLAGS)),
    pain=st.sets(st.sampled_from(AREAS)),
    chair=st.booleans(),
    every=st.integers(20, 120),
    offset=st.integers(0, 400),
    night=st.booleans(),
)
def test_plan_never_offers_an_excluded_exercise_and_breaks_stay_in_work_hours(
    cautions: set[str], pain: set[str], chair: bool, every: int, offset: int, night: bool
) -> None:
    s = PlanSettings.model_validate(
        {
            "timezone": BERLIN,
            "cautions": sorted(cautions),
            "pain_areas": sorted(pain),
            "has_chair": chair,
            "work_start": "22:00" if night else "08:30",
            "work_end": "06:00" if night else "17:00",
            "breaks": {"every_minutes": every},
        }
    )
    day = date(2026, 1, 1) + timedelta(days=offset)
    p = plan_day(s, day, EXERCISES)
    for item in p.items:
        for eid in item.exercises:
            assert not set(BY_ID[eid].avoid_if) & cautions, (eid, cautions)
    shift = s.shift(day)
    breaks = [i for i in p.items if i.kind == "break"]
    if shift is None:
        assert not breaks
    else:
        assert breaks
        for b in breaks:
            assert shift[0] < b.start and b.end <= shift[1]
        gaps = [(b.start - a.start) for a, b in itertools.pairwise(breaks)]
        assert all(g == timedelta(minutes=every) for g in gaps)
    kinds = [i.kind for i in p.items]
    assert kinds.count("morning") == 1 and kinds.count("evening") == 1
    assert kinds.count("stretch") == 1


def test_evening_program_follows_the_day_with_a_reason() -> None:
    monday, sunday = date(2026, 3, 23), date(2026, 3, 29)
    lumbar = plan_day(PlanSettings(pain_areas=["lower-back"]), monday, EXERCISES)
    long_day = plan_day(PlanSettings(), monday, EXERCISES)
    liked = plan_day(PlanSettings(liked_program="mindfulness"), sunday, EXERCISES)
    ev = {p.day: next(i for i in p.items if i.kind == "evening") for p in (lumbar, liked)}
    assert ev[monday].program == "lumbar" and "lower-back" in ev[monday].reason
    long_ev = next(i for i in long_day.items if i.kind == "evening")
    assert long_ev.program == "after-office" and "8.5 h" in long_ev.reason
    assert ev[sunday].program == "mindfulness" and "liked" in ev[sunday].reason
    no_chair = plan_day(PlanSettings(has_chair=False), monday, EXERCISES)
    assert all(i.program is None for i in no_chair.items)
    assert next(i for i in no_chair.items if i.kind == "morning").exercises


def test_breaks_rotate_and_lean_to_the_pain_areas() -> None:
    s = PlanSettings(pain_areas=["neck"])
    week = [plan_day(s, date(2026, 3, 23) + timedelta(days=d), EXERCISES) for d in range(5)]
    picked = [e for p in week for i in p.items if i.kind == "break" for e in i.exercises]
    firsts = [i.exercises[0] for p in week for i in p.items if i.kind == "break"]
    assert len(set(firsts)) >= 10  # they rotate
    neck = sum("neck" in BY_ID[e].areas for e in picked if e != "walk")
    share = sum("neck" in e.areas for e in EXERCISES) / len(EXERCISES)
    assert neck / len(firsts) > share + 0.15


def test_program_lengths_match_the_program_files() -> None:
    lib = ProgramLibrary(user_dir=Path("/nonexistent"))
    for pid, minutes in PROGRAM_MINUTES.items():
        assert lib.get(pid).minutes == minutes


def test_settings_file_errors_name_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "care.toml"
    f.write_text(
        'timezone = "Mars/Olympus"\nwork_start = "09:00"\nwork_end = "09:00"\n'
        "\n[breaks]\nevery_minutes = 10\n"
    )
    try:
        load_settings(f)
    except SettingsError as err:
        assert any(m.startswith(f"{f}:1: timezone:") for m in err.messages)
        assert f"{f}:6: breaks.every_minutes: 10 is below 20" in err.messages
    else:
        raise AssertionError("bad settings were accepted")


def _occurrences(ics: bytes, start: datetime, end: datetime) -> dict[str, list[datetime]]:
    """Read the file with vobject and expand each RRULE with dateutil in the event's TZID."""
    cal = vobject.readOne(ics.decode())
    out: dict[str, list[datetime]] = {}
    for ev in cal.vevent_list:
        assert ev.valarm.trigger.value == timedelta(minutes=-5)
        tzid = vobject.icalendar.TimezoneComponent.pickTzid(ev.dtstart.value.tzinfo)
        local = ev.dtstart.value.replace(tzinfo=None)
        rule = rrulestr(ev.rrule.value, dtstart=local)
        zone = ZoneInfo(tzid)
        naive = rule.between(start.replace(tzinfo=None), end.replace(tzinfo=None), inc=True)
        out.setdefault(ev.summary.value, []).extend(t.replace(tzinfo=zone) for t in naive)
    return out


def test_ical_keeps_wall_clock_times_across_summer_time() -> None:
    s = PlanSettings(timezone=BERLIN)
    ics = plan_ical(s, date(2026, 3, 23), EXERCISES, datetime(2026, 3, 1, tzinfo=UTC))
    occ = _occurrences(ics, datetime(2026, 3, 23), datetime(2026, 4, 4))
    first = occ["Movement break 1"]
    # Mon-Fri of two weeks; the clocks went forward on Sunday 29 March.
    assert [t.day for t in first] == [23, 24, 25, 26, 27, 30, 31, 1, 2, 3]
    assert {t.strftime("%H:%M") for t in first} == {"10:00"}
    offsets = {t.day: t.utcoffset() for t in first}
    assert offsets[27] == timedelta(hours=1) and offsets[30] == timedelta(hours=2)
    assert len(occ["Quick massage"]) == 12  # every day, 23 March to 3 April
    # The VTIMEZONE the file carries knows the change too.
    cal = vobject.readOne(ics.decode())
    assert cal.vtimezone.tzid.value == BERLIN
    assert cal.vtimezone.daylight.tzoffsetto.value == "+0200"
    # vobject reads only the first RDATE of a list, so look at the unfolded text itself.
    text = ics.decode().replace("\r\n ", "")
    daylight = text[text.index("BEGIN:DAYLIGHT") : text.index("END:DAYLIGHT")]
    assert "20260329T030000" in daylight


def test_ical_night_shift_breaks_fall_on_the_next_weekday() -> None:
    s = PlanSettings(timezone=BERLIN, work_start="22:00", work_end="06:00")
    ics = plan_ical(s, date(2026, 10, 19), EXERCISES, datetime(2026, 10, 1, tzinfo=UTC))
    occ = _occurrences(ics, datetime(2026, 10, 19), datetime(2026, 10, 28))
    after_midnight = occ["Movement break 3"]  # 22:00 + 3 h = 01:00 the next day
    assert {t.strftime("%H:%M") for t in after_midnight} == {"01:00"}
    assert {t.strftime("%a") for t in after_midnight} == {"Tue", "Wed", "Thu", "Fri", "Sat"}
    # The Saturday-night clock change (25 October) falls outside a Mon-Fri shift week, and the
    # Monday-night breaks that follow it carry winter time.
    tue = [t for t in after_midnight if t.day == 27]
    assert tue and tue[0].utcoffset() == timedelta(hours=1)
    assert after_midnight[0].utcoffset() == timedelta(hours=2)  # Tue 20, summer time


def test_cli_plan_init_json_and_ical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCHAIR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TZ", "America/New_York")
    _register_commands()
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "--init"]).exit_code == 0
    cfg = tmp_path / "care.toml"
    # The written defaults read back the same, in this computer's time zone.
    assert load_settings(cfg) == PlanSettings(timezone="America/New_York")
    assert runner.invoke(app, ["plan", "--init"]).exit_code == 2  # never overwrites
    ics = tmp_path / "plan.ics"
    r = runner.invoke(app, ["plan", "--date", "2026-03-06", "--json", "--ical", str(ics)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["work_day"] and data["red_flags"]
    assert data["items"][1]["start"] == "2026-03-06T10:00:00-05:00"
    # New York changes on 8 March: the break after it is still at 10:00, now at -04:00.
    occ = _occurrences(ics.read_bytes(), datetime(2026, 3, 6), datetime(2026, 3, 10))
    assert [t.isoformat() for t in occ["Movement break 1"]] == [
        "2026-03-06T10:00:00-05:00",
        "2026-03-09T10:00:00-04:00",
    ]
    r = runner.invoke(app, ["plan", "--date", "tomorrow"])
    assert r.exit_code == 2 and "is not a date" in r.output
    cfg.write_text("work_start = '25:00'\n")
    r = runner.invoke(app, ["plan"])
    assert r.exit_code == 2 and "care.toml:1: work_start:" in r.output
