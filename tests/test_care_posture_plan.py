"""The posture monitor's day in the daily plan: what a long slouch, a long stretch of sitting and
time away from the desk change, and that the plan says so in words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openchair.care.diary_plan import DiaryContext
from openchair.care.loader import ExerciseLibrary
from openchair.care.model import AREAS, CAUTION_FLAGS
from openchair.care.plan import DayPlan, PlanItem, plan_day
from openchair.care.posture_plan import PostureContext, minutes_text, posture_for
from openchair.care.settings import PlanSettings
from openchair.posture.events import PostureDaySummary, SittingStreak

EXERCISES = ExerciseLibrary(user_dir=Path("/nonexistent")).load_all()[0]
BY_ID = {e.label(): e for e in EXERCISES}
DAY = date(2026, 11, 25)  # a Wednesday: 09:00-17:30 by default
UPPER = {"neck", "upper-back", "shoulders"}


def ctx(
    slouched: float = 0.0,
    streak: float = 45.0,
    away: float = 30.0,
    sitting: float = 400.0,
    day: date = DAY,
) -> PostureContext:
    return PostureContext(day.isoformat(), sitting, slouched, away, streak, 3)


def item(p: DayPlan, title: str) -> PlanItem:
    (found,) = [i for i in p.items if i.title == title]
    return found


def evening(p: DayPlan) -> PlanItem:
    (found,) = [i for i in p.items if i.kind == "evening"]
    return found


def plan_settings(**kw: object) -> PlanSettings:
    return PlanSettings.model_validate({"timezone": "Europe/Berlin", **kw})


def test_a_long_slouch_turns_the_evening_to_the_neck_and_upper_back_and_says_so() -> None:
    s = plan_settings(liked_program="heated-back", long_sitting_hours=12)
    plain = plan_day(s, DAY, EXERCISES)
    assert evening(plain).program == "heated-back"  # the liked program, without the monitor
    p = plan_day(s, DAY, EXERCISES, posture=ctx(slouched=74))
    ev = evening(p)
    assert ev.program == "after-office"
    assert ev.reason.startswith("You sat slouched for 74 minutes today")
    assert "neck, shoulders and upper back" in ev.reason
    stretch = item(p, "Stretching session")
    assert "74 minutes" in stretch.reason and "neck and upper back" in stretch.reason
    assert len(stretch.exercises) == 5
    for eid in stretch.exercises[:2]:
        assert set(BY_ID[eid].areas) & UPPER, eid


def test_a_short_slouch_changes_nothing() -> None:
    s = plan_settings(liked_program="heated-back", long_sitting_hours=12)
    plain = plan_day(s, DAY, EXERCISES)
    p = plan_day(s, DAY, EXERCISES, posture=ctx(slouched=29, away=0))
    assert p == plain


def test_a_very_long_slouch_also_lengthens_the_stretching() -> None:
    p = plan_day(plan_settings(), DAY, EXERCISES, posture=ctx(slouched=125))
    stretch = item(p, "Stretching session")
    assert len(stretch.exercises) == 7
    assert len(set(stretch.exercises)) == 7
    assert all(set(BY_ID[e].areas) & UPPER for e in stretch.exercises[:4])
    assert "2 h 05 min" in stretch.reason and "2 stretches longer" in stretch.reason
    plain = item(plan_day(plan_settings(), DAY, EXERCISES), "Stretching session")
    assert stretch.minutes > plain.minutes


def test_pain_rules_keep_their_program_and_the_stretching_takes_the_slouch() -> None:
    s = plan_settings(pain_areas=["lower-back"])
    p = plan_day(s, DAY, EXERCISES, posture=ctx(slouched=80))
    assert evening(p).program == "lumbar"
    assert "slouched for 80 minutes" in item(p, "Stretching session").reason
    severe = DiaryContext(recent_entries=5, recent_pain=8.0, areas=("neck",))
    p = plan_day(plan_settings(), DAY, EXERCISES, severe, ctx(slouched=80))
    assert evening(p).program == "mindfulness"
    # a health check that rules After the Office out still wins, and the reason says why
    out = DiaryContext(programs_out=("after-office",))
    p = plan_day(plan_settings(), DAY, EXERCISES, out, ctx(slouched=80))
    assert evening(p).program == "mindfulness"
    assert "slouched for 80 minutes" in evening(p).reason
    assert "ruled out by your health check" in evening(p).reason


def test_a_caution_flag_still_excludes_stretches_chosen_for_the_slouch() -> None:
    flags = sorted({f for e in EXERCISES if set(e.areas) & UPPER for f in e.avoid_if})
    s = plan_settings(cautions=flags)
    p = plan_day(s, DAY, EXERCISES, posture=ctx(slouched=200, streak=300))
    for i in p.items:
        for eid in i.exercises:
            assert not set(BY_ID[eid].avoid_if) & set(flags), eid


def test_a_long_stretch_of_sitting_adds_a_stretch_after_work() -> None:
    s = plan_settings()  # a break every 60 min: 90 min unbroken is a missed break
    p = plan_day(s, DAY, EXERCISES, posture=ctx(streak=130))
    extra = item(p, "Stretch after sitting")
    assert extra.reason.startswith("Your longest stretch of sitting today was 2 h 10 min")
    shift = s.shift(DAY)
    assert shift is not None and extra.start >= shift[1]
    assert extra.end <= evening(p).start
    assert extra.exercises and all(
        set(BY_ID[e].areas) & {"hips", "lower-back"} for e in extra.exercises
    )
    assert not [i for i in plan_day(s, DAY, EXERCISES, posture=ctx(streak=89)).items
                if i.title == "Stretch after sitting"]  # fmt: skip
    # with breaks every 90 min, 130 min is not yet a missed break
    s90 = plan_settings(breaks={"every_minutes": 90})
    assert "Stretch after sitting" not in [
        i.title for i in plan_day(s90, DAY, EXERCISES, posture=ctx(streak=130)).items
    ]


def test_time_away_from_the_desk_counts_as_movement() -> None:
    s = plan_settings(liked_program="heated-back")  # long_sitting_hours 6, a day of 8.5 h
    assert evening(plan_day(s, DAY, EXERCISES)).reason.startswith("a long day at the desk (8.5 h)")
    # watched most of the day, and away 3 h 20 min: 5.2 h at the desk is not a long day
    p = plan_day(s, DAY, EXERCISES, posture=ctx(away=200, sitting=290))
    ev = evening(p)
    assert ev.program == "heated-back"
    # away 1 h: 7.5 h at the desk is still a long day, and the reason counts the time away
    p = plan_day(s, DAY, EXERCISES, posture=ctx(away=60, sitting=400))
    assert evening(p).reason.startswith("a long day at the desk (7.5 h; you were away from the")
    assert "60 minutes today, which counts as movement" in evening(p).reason
    # the monitor watched too little of the day to tell: the shift length counts
    p = plan_day(s, DAY, EXERCISES, posture=ctx(away=200, sitting=20))
    assert evening(p).reason.startswith("a long day at the desk (8.5 h)")
    # without a liked program, a shorter measured day says why it is not a long one
    p = plan_day(plan_settings(), DAY, EXERCISES, posture=ctx(away=200, sitting=290))
    assert evening(p).reason == (
        "a day at the desk (5.2 h; you were away from the desk for 3 h 20 min today, "
        "which counts as movement)"
    )


def test_another_days_posture_is_not_used() -> None:
    tomorrow = date(2026, 11, 26)
    assert plan_day(plan_settings(), tomorrow, EXERCISES, posture=ctx(slouched=200)) == plan_day(
        plan_settings(), tomorrow, EXERCISES
    )


def test_without_a_chair_the_slouch_picks_upper_back_exercises() -> None:
    p = plan_day(plan_settings(has_chair=False), DAY, EXERCISES, posture=ctx(slouched=45))
    ev = evening(p)
    assert ev.reason == "You sat slouched for 45 minutes today: exercises for the upper-back"
    assert all("upper-back" in BY_ID[e].areas for e in ev.exercises)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(1, "1 minute"), (74, "74 minutes"), (119.6, "2 h 00 min"), (125, "2 h 05 min")],
)
def test_lengths_read_like_a_person_says_them(minutes: float, text: str) -> None:
    assert minutes_text(minutes) == text


def test_the_context_comes_from_the_monitors_summary_of_that_day() -> None:
    day = PostureDaySummary(
        "2026-11-25",
        sitting_s=6 * 3600,
        slouched_s=74 * 60,
        away_s=1800,
        breaks=2,
        streaks=[SittingStreak(0, 3600), SittingStreak(4000, 4000 + 130 * 60)],
    )
    other = PostureDaySummary("2026-11-24", sitting_s=60)
    c = posture_for([other, day], "2026-11-25")
    assert c is not None
    assert (c.slouched_min, c.away_min, c.longest_streak_min) == (74, 30, 130)
    assert posture_for([other], "2026-11-25") is None


@settings(max_examples=40, deadline=None)
@given(
    cautions=st.sets(st.sampled_from(CAUTION_FLAGS)),
    pain=st.sets(st.sampled_from(AREAS)),
    chair=st.booleans(),
    night=st.booleans(),
    slouched=st.floats(0, 600),
    streak=st.floats(0, 600),
    away=st.floats(0, 600),
    sitting=st.floats(0, 900),
)
def test_any_posture_day_keeps_the_plans_promises(
    cautions: set[str],
    pain: set[str],
    chair: bool,
    night: bool,
    slouched: float,
    streak: float,
    away: float,
    sitting: float,
) -> None:
    s = plan_settings(
        cautions=sorted(cautions),
        pain_areas=sorted(pain),
        has_chair=chair,
        work_start="22:00" if night else "09:00",
        work_end="06:00" if night else "17:30",
    )
    p = plan_day(s, DAY, EXERCISES, posture=ctx(slouched, streak, away, sitting))
    for i in p.items:
        assert len(set(i.exercises)) == len(i.exercises), i
        for eid in i.exercises:
            assert not set(BY_ID[eid].avoid_if) & cautions, (eid, cautions)
    assert [i.start for i in p.items] == sorted(i.start for i in p.items)
    ev = evening(p)
    session = item(p, "Stretching session")
    assert session.start >= ev.end
    extra = [i for i in p.items if i.title == "Stretch after sitting"]
    shift = s.shift(DAY)
    assert shift is not None
    if extra:
        assert extra[0].start >= shift[1] and extra[0].end <= ev.start
    if slouched >= 30 and chair and "lower-back" not in pain:
        assert ev.program == "after-office" and "slouched" in ev.reason
