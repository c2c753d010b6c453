"""The web remote in a real browser: Playwright driving Debian's Chromium (never downloaded).

One browser and one server for the module; screenshots go to ``out/web/`` as artifacts."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from web_support import LiveServer, live_server

playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright  # noqa: E402

from openchair.web.pairing import CODE_LIFETIME_S  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[1] / "out" / "web"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("remote"), speed=4.0) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/bootstrap.sh as root")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def new_phone(browser: Browser) -> Page:
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=1)
    return ctx.new_page()


def pair_page(page: Page, server: LiveServer, name: str) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Device name").fill(name)
    page.get_by_role("button", name="Ask for a code").click()
    expect(page.get_by_label("Code shown by the chair")).to_be_visible()
    assert server.console.shown[-1][0] == name
    page.get_by_label("Code shown by the chair").fill(server.console.last_code)
    page.get_by_role("button", name="Pair", exact=True).click()
    expect(page.get_by_role("button", name="Stop the chair now")).to_be_visible()


def roller_y(page: Page) -> float:
    return float(page.locator("#roller-mark").get_attribute("data-y") or "nan")


def test_pair_scan_start_watch_adjust_and_stop(browser: Browser, server: LiveServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_phone(browser)
    pair_page(page, server, "Test phone")

    # scan first (the Person page), then start the Quick program from its tile
    page.get_by_role("link", name="Person").click()
    page.get_by_role("button", name="Scan the back (about 17 s)").click()
    expect(page.locator("#person-msg")).to_contain_text("scanning")
    page.get_by_role("link", name="Chair").click()
    expect(page.locator("#st-state")).to_have_text("idle", timeout=20_000)
    page.get_by_role("button", name="Start Quick", exact=False).click()
    expect(page.locator("#st-state")).to_have_text("running", timeout=5_000)

    # the rollers move in the live view
    page.wait_for_selector("#roller-mark")
    ys = [roller_y(page)]
    for _ in range(10):
        page.wait_for_timeout(300)
        ys.append(roller_y(page))
    assert max(ys) - min(ys) > 20, ys

    # intensity up: the page shows the new value within 200 ms of the click's answer
    before = int(page.locator("#int-value").inner_text())
    t0 = time.monotonic()
    page.get_by_role("button", name="Intensity up").click()
    expect(page.locator("#int-value")).to_have_text(str(before + 1), timeout=2_000)
    intensity_s = time.monotonic() - t0

    # focus a zone by tapping it on the back
    page.locator('#zones [data-zone="lumbar"]').click()
    expect(page.locator("#ro-focus")).to_have_text("lumbar")
    expect(page.locator('#zones [data-zone="lumbar"]')).to_have_class("zone focused")
    page.wait_for_timeout(1500)  # the rollers travel to the lumbar zone
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "chair-running-phone.png"))
    page.set_viewport_size({"width": 1100, "height": 800})
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "chair-running-desktop.png"))
    page.set_viewport_size(PHONE)

    # stop: the big button, always on screen
    t0 = time.monotonic()
    page.get_by_role("button", name="Stop the chair now").click()
    expect(page.locator("#st-state")).to_have_text("stopped", timeout=2_000)
    stop_s = time.monotonic() - t0
    expect(page.get_by_role("button", name="Clear stop")).to_be_visible()
    assert server.service.snapshot() is not None
    assert server.service.snapshot().state == "stopped"  # type: ignore[union-attr]
    # an effect shows within 200 ms on this machine (Playwright's own polling included)
    assert intensity_s < 0.6 and stop_s < 0.6, (intensity_s, stop_s)
    page.context.close()


def test_a_malformed_upload_shows_its_errors_inline(browser: Browser, server: LiveServer) -> None:
    page = new_phone(browser)
    pair_page(page, server, "Upload phone")
    page.get_by_role("link", name="Programs").click()
    expect(page.locator("#prog-view")).to_contain_text("min")
    page.get_by_label("Program file (TOML)").fill(
        'id = "mine"\nname = "Mine"\ndescription = "x"\nminutes = 1\n\n'
        "[[step]]\nseconds = 60\ndepth = 7\n"
    )
    page.get_by_role("button", name="Check and keep").click()
    errors = page.locator("#upload-result .errors li")
    expect(errors.first).to_contain_text("8: step 1: depth:")
    page.evaluate("document.getElementById('upload-form').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SHOTS / "programs-upload-error-phone.png"))
    page.context.close()


def test_an_expired_code_is_refused(browser: Browser, server: LiveServer) -> None:
    page = new_phone(browser)
    page.goto(server.url + "/")
    page.get_by_label("Device name").fill("Slow phone")
    page.get_by_role("button", name="Ask for a code").click()
    expect(page.get_by_label("Code shown by the chair")).to_be_visible()
    server.clock.t += CODE_LIFETIME_S + 1
    page.get_by_label("Code shown by the chair").fill(server.console.last_code)
    page.get_by_role("button", name="Pair", exact=True).click()
    expect(page.locator("#pair-msg")).to_contain_text("expired")
    expect(page.get_by_role("button", name="Stop the chair now")).to_be_hidden()
    page.context.close()


def test_the_phone_viewport_keeps_stop_on_screen_and_no_sideways_scroll(
    browser: Browser, server: LiveServer
) -> None:
    page = new_phone(browser)
    pair_page(page, server, "Small phone")
    for name in ("Chair", "Person", "History", "Programs", "Settings"):
        page.get_by_role("link", name=name).click()
        stop = page.get_by_role("button", name="Stop the chair now")
        box = stop.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"]
        assert box["height"] >= 60
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (name, width)
    page.get_by_role("link", name="History").click()
    expect(page.locator("#hist-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "history-phone.png"))
    page.get_by_role("link", name="Person").click()
    expect(page.locator("#map-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "person-phone.png"))
    page.context.close()
