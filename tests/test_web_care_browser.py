"""The back-care pages in a real browser (Debian's Chromium through Playwright): a break arrives
with its exercise and timer and postpone/skip obey their limits; the red-flag flow end to end;
the diary on a phone. One server (its care clock moved by hand) and one browser for the module;
screenshots go to ``out/web/``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from openchair.care.redflags import HELD_REASON, URGENT_MESSAGE
from openchair.care.settings import BreakRules, PlanSettings
from openchair.web.care_desk import CareDesk
from test_web_browser import ARGS, CHROMIUM, PHONE, SHOTS, pair_page
from web_support import LiveServer, live_server

# The tests of this module share one server and follow each other (a session, then its history):
# under xdist they must run on one worker, in order (check.sh uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("web_care_browser")

FAKE_NOTIFICATION = """
window.__shown = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__shown.push([title, options && options.body]); }
};
"""


@dataclass
class WallClock:
    t: datetime = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)  # a Monday, work starts at 09:00

    def __call__(self) -> datetime:
        return self.t


WALL = WallClock()


def care_settings() -> PlanSettings:
    return PlanSettings(
        timezone="UTC",
        breaks=BreakRules(micro_every_minutes=0, postpone_limit=1, skip_limit_per_day=1),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("care")
    desk = CareDesk(settings_source=care_settings, now=WALL, poll_s=0.25, data_dir=tmp)
    with live_server(tmp, speed=4.0, care=desk) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/bootstrap.sh as root")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def phone(browser: Browser, server: LiveServer, name: str, person: str) -> Page:
    """A paired phone with ``person`` added and chosen for the care pages."""
    page = browser.new_context(viewport=PHONE, device_scale_factor=1).new_page()
    page.add_init_script(FAKE_NOTIFICATION)
    pair_page(page, server, name)
    r = api(page, server, "POST", "/api/people", {"name": person})
    assert r.status == 201, r.text()
    page.evaluate("(p) => localStorage.setItem('openchair.person', p)", person)
    return page


def api(page: Page, server: LiveServer, method: str, path: str, body: object = None):  # type: ignore[no-untyped-def]
    token = page.evaluate("localStorage.getItem('openchair.token')")
    return page.request.fetch(
        server.url + path,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        data=body,
    )


def timer_s(page: Page) -> int:
    m, s = page.locator("#break-timer").inner_text().split(":")
    return int(m) * 60 + int(s)


def test_a_break_arrives_with_its_exercise_and_timer_and_limits_hold(
    browser: Browser, server: LiveServer
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    WALL.t = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)
    page = phone(browser, server, "Break phone", "Ana")
    page.goto(server.url + "/static/care.html#break")
    expect(page.locator("#break-next")).to_contain_text("next one is due at")
    expect(page.locator("#break-now")).to_be_hidden()

    # an hour of sitting: the break arrives by itself, with a notification and the exercise
    WALL.t += timedelta(hours=1)
    expect(page.locator("#break-now")).to_be_visible(timeout=5_000)
    assert page.evaluate("window.__shown")[0][0] == "Time for a movement break"
    expect(page.locator("#break-card svg")).to_be_visible()
    expect(page.locator("#break-card ol li").first).to_be_visible()
    first = timer_s(page)
    assert 290 <= first <= 300, first  # a five-minute movement break
    page.wait_for_timeout(1300)
    assert timer_s(page) < first  # the countdown runs
    page.screenshot(path=str(SHOTS / "care-break-phone.png"), full_page=True)

    # postpone once (the limit is one), then it comes back with postpone disabled and why
    postpone = page.locator("#break-postpone")
    expect(postpone).to_be_enabled()
    postpone.click()
    expect(page.locator("#break-now")).to_be_hidden()
    WALL.t += timedelta(minutes=5, seconds=10)
    expect(page.locator("#break-now")).to_be_visible(timeout=5_000)
    expect(postpone).to_be_disabled()
    expect(page.locator("#break-postpone-why")).to_contain_text("already postponed once")
    break_id = page.evaluate("care.waiting.id")
    refused = api(page, server, "POST", f"/api/breaks/{break_id}/postpone")
    assert refused.status == 409 and "postpone" in refused.json()["detail"]
    page.screenshot(path=str(SHOTS / "care-break-postpone-used-phone.png"))

    # skip once (the day's limit), and the next break cannot be skipped
    page.locator("#break-skip").click()
    expect(page.locator("#break-now")).to_be_hidden()
    WALL.t += timedelta(hours=1)
    expect(page.locator("#break-now")).to_be_visible(timeout=5_000)
    expect(page.locator("#break-skip")).to_be_disabled()
    expect(page.locator("#break-skip-why")).to_contain_text("1 breaks already skipped today")
    page.locator("#break-done").click()
    expect(page.locator("#break-now")).to_be_hidden()

    # the statistics page counts them
    page.get_by_role("link", name="Breaks so far").click()
    row = page.locator("#stats-table tbody tr").first
    expect(row).to_contain_text("2026-03-02")
    cells = row.locator("td").all_inner_texts()
    # offered, taken, postponed, skipped (one in three: marked, as Safe Eyes does at 20 %),
    # and the longest sitting: 09:00 to the break taken at 11:05
    assert cells == ["2026-03-02", "3", "1", "1", "1 ⚠", "125 min"], cells
    page.context.close()


def test_red_flag_shows_only_the_message_and_holds_the_chair_until_seen(
    browser: Browser, server: LiveServer
) -> None:
    page = phone(browser, server, "Diary phone", "Ben")
    assert api(page, server, "POST", "/api/seat", {"name": "Ben"}).status == 200
    page.goto(server.url + "/static/care.html#diary")
    page.locator("#pain").fill("6")
    page.get_by_label("Do you have a high temperature").check()
    page.get_by_role("button", name="Save").click()

    message = page.locator("#redflag-only")
    expect(message).to_be_visible()
    expect(page.locator("#rf-message")).to_have_text(URGENT_MESSAGE)
    expect(page.locator("#care-main")).to_be_hidden()
    expect(page.locator("#care-header")).to_be_hidden()
    # nothing else on the page: all visible text is the message and its one button
    shown = page.evaluate("document.body.innerText").strip()
    assert shown.replace("\n", " ").split() == (
        f"Please get medical advice {URGENT_MESSAGE} I have been seen by a doctor".split()
    ), shown
    page.screenshot(path=str(SHOTS / "care-red-flag-phone.png"))

    # the chair refuses Ben's programs with that reason, through the API
    start = api(page, server, "POST", "/api/session/start", {"program": "quick"})
    assert start.status == 409 and start.json()["detail"] == HELD_REASON
    # and the remote's chair page says why when the Quick tile is tapped
    page.goto(server.url + "/#chair")
    page.get_by_role("button", name="Start Quick", exact=False).click()
    expect(page.locator("#cmd-msg")).to_contain_text("Massage is paused")
    # back on the diary, only the message shows while the hold is on
    page.goto(server.url + "/static/care.html#diary")
    expect(message).to_be_visible()
    expect(page.locator("#care-main")).to_be_hidden()

    page.get_by_role("button", name="I have been seen by a doctor").click()
    expect(page.locator("#diary-form")).to_be_visible()
    expect(message).to_be_hidden()
    status = api(page, server, "GET", "/api/diary/status?person=Ben").json()
    assert status["red_flag_hold"] is False
    again = api(page, server, "POST", "/api/session/start", {"program": "quick"})
    assert again.json().get("detail") != HELD_REASON
    page.context.close()


def test_the_diary_on_a_phone_and_the_other_care_pages(
    browser: Browser, server: LiveServer
) -> None:
    page = phone(browser, server, "Small phone", "Cara")
    page.goto(server.url + "/static/care.html#diary")
    page.locator("#pain").fill("4")
    expect(page.locator("#pain-out")).to_have_text("4")
    for region in ("lower-back-left", "lower-back-right"):
        page.locator(f'#diary-back [data-region="{region}"]').click()
    expect(page.locator("#areas-chosen")).to_have_text(
        "Chosen: lower back, left, lower back, right"
    )
    page.get_by_label("Stiff in the morning for (minutes)").fill("30")
    page.locator("#better").get_by_role("button", name="walking").click()
    page.locator("#worse").get_by_role("button", name="sitting").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "care-diary-phone.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#diary-saved")).to_have_text("Saved.")
    expect(page.locator("#trend-img")).to_be_visible(timeout=10_000)
    assert page.evaluate("document.getElementById('trend-img').naturalWidth") > 300
    assert api(page, server, "GET", "/api/diary/insight?person=Cara").json()["insight"]

    # every field has a label, every control a name
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, [role=button], input, select, textarea')]
            .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() ||
                             (e.id && document.querySelector(`label[for="${e.id}"]`))))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []

    # the plan, the exercises with their pictures, and a posture day
    page.get_by_role("link", name="Plan").click()
    expect(page.locator('#plan-items li[data-kind="evening"]')).to_be_visible()
    page.screenshot(path=str(SHOTS / "care-plan-phone.png"), full_page=True)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the week as a calendar file (.ics)").click()
    assert Path(dl.value.path()).read_bytes().startswith(b"BEGIN:VCALENDAR")
    page.get_by_role("link", name="Exercises").click()
    cards = page.locator("#ex-list > li")
    expect(cards.nth(19)).to_be_visible()
    expect(cards.first.locator("svg")).to_be_visible()
    page.screenshot(path=str(SHOTS / "care-exercises-phone.png"))
    page.get_by_role("link", name="Health check").click()
    page.get_by_label("Do you have a pacemaker", exact=False).check()
    page.get_by_role("button", name="Save the health check").click()
    expect(page.locator("#health-result")).to_contain_text("What your answers change")
    page.screenshot(path=str(SHOTS / "care-health-phone.png"))
    t0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    day = {
        "person": "Cara",
        "date": "2026-03-02",
        "sitting_s": 6.5 * 3600,
        "slouched_s": 40 * 60,
        "away_s": 3600,
        "nudges": 3,
        "breaks": 4,
        "streaks": [
            {"start_s": t0 + a * 3600, "end_s": t0 + b * 3600}
            for a, b in ((9, 10.2), (10.4, 12), (13, 13.8), (14, 15.5), (15.7, 17.4))
        ],
    }
    assert api(page, server, "POST", "/api/posture/days", day).status == 200
    page.get_by_role("link", name="Posture").click()
    bars = page.locator(".day .timeline rect[data-minutes]")
    expect(bars).to_have_count(5)
    assert bars.evaluate_all("(rs) => rs.map((r) => r.dataset.minutes)") == [
        "72",
        "96",
        "48",
        "90",
        "102",
    ]
    expect(page.locator(".day dl")).to_contain_text("40 min")
    page.screenshot(path=str(SHOTS / "care-posture-phone.png"))
    page.context.close()


def test_a_posture_nudge_shows_like_a_break_and_the_plan_says_what_the_day_changed(
    browser: Browser, server: LiveServer
) -> None:
    WALL.t = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)  # a Tuesday, in working hours
    page = phone(browser, server, "Posture phone", "Nia")
    day = {"person": "Nia", "date": "2026-03-03", "sitting_s": 14400, "slouched_s": 74 * 60}
    assert api(page, server, "POST", "/api/posture/days", day).status == 200
    page.goto(server.url + "/static/care.html#plan")
    expect(page.locator("#plan-items")).to_contain_text("You sat slouched for 74 minutes today")
    expect(page.locator("#nudge")).to_be_hidden()
    nudge = {"person": "Nia", "t_s": WALL.t.timestamp(), "reasons": ["head_forward"],
             "slouched_for_s": 65}  # fmt: skip
    r = api(page, server, "POST", "/api/posture/nudges", nudge)
    assert r.status == 200 and r.json()["shown"] is True
    expect(page.locator("#nudge")).to_be_visible(timeout=5_000)
    expect(page.locator("#nudge-text")).to_contain_text("your head has come forward")
    assert ["Posture check", r.json()["nudge"]["body"]] in page.evaluate("window.__shown")
    page.screenshot(path=str(SHOTS / "care-posture-nudge-phone.png"))
    page.locator("#nudge-close").click()
    expect(page.locator("#nudge")).to_be_hidden()
    page.wait_for_timeout(800)  # later polls do not bring it back
    expect(page.locator("#nudge")).to_be_hidden()
    page.context.close()
