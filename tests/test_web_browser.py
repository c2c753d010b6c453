"""The web remote in a real browser: Playwright driving Debian's Chromium (never downloaded).

One browser and one server for the module; screenshots go to ``out/web/`` as artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from openchair.web.pairing import CODE_LIFETIME_S
from web_support import LiveServer, live_server

# The tests of this module share one server and follow each other (a session, then its history):
# under xdist they must run on one worker, in order (check.sh uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("web_browser")

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
    server.clock.t += 2.0  # past the one-request-a-second limit of the previous pairing
    page.goto(server.url + "/")
    page.get_by_label("Device name").fill(name)
    page.get_by_role("button", name="Ask for a code").click()
    expect(page.get_by_label("Code shown by the chair")).to_be_visible()
    assert server.console.shown[-1][0] == name
    page.get_by_label("Code shown by the chair").fill(server.console.last_code)
    page.get_by_role("button", name="Pair", exact=True).click()
    expect(page.get_by_role("button", name="Stop the chair now")).to_be_visible()


def click_until_changed(page: Page, button_id: str, shown_id: str) -> float:
    """Milliseconds, measured in the page, from clicking a button to the element showing a
    different text (the effect arriving through the state stream)."""
    elapsed: float = page.evaluate(
        """([buttonId, shownId]) => new Promise((resolve) => {
            const shown = document.getElementById(shownId);
            const before = shown.textContent;
            const t0 = performance.now();
            const obs = new MutationObserver(() => {
                if (shown.textContent === before) return;
                obs.disconnect();
                resolve(performance.now() - t0);
            });
            obs.observe(shown, { childList: true, characterData: true, subtree: true });
            document.getElementById(buttonId).click();
        })""",
        [button_id, shown_id],
    )
    return elapsed


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

    # intensity up: the page shows the new value, timed in the page from click to display
    # (median of three presses: up, down, up; this machine is shared and noisy)
    before = int(page.locator("#int-value").inner_text())
    presses = [click_until_changed(page, b, "int-value") for b in ("int-up", "int-down", "int-up")]
    intensity_ms = sorted(presses)[1]
    expect(page.locator("#int-value")).to_have_text(str(before + 1))

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
    expect(page.get_by_role("button", name="Stop the chair now")).to_be_in_viewport()
    stop_ms = click_until_changed(page, "stop", "st-state")
    expect(page.locator("#st-state")).to_have_text("stopped")
    expect(page.get_by_role("button", name="Clear stop")).to_be_visible()
    assert server.service.snapshot() is not None
    assert server.service.snapshot().state == "stopped"  # type: ignore[union-attr]
    # a command's effect shows on the page within 200 ms
    print(f"click to display: intensity {presses} ms, stop {stop_ms:.0f} ms")
    assert intensity_ms < 200 and stop_ms < 200, (intensity_ms, stop_ms)
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
    server.clock.t += 2.0
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
    # every control has a name a screen reader can say, and every field a label
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, [role=button], input, select, textarea')]
            .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim() ||
                             (e.id && document.querySelector(`label[for="${e.id}"]`))))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    # the zones on the drawing work from the keyboard
    page.get_by_role("link", name="Chair").click()
    page.locator('#zones [data-zone="mid-back"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cmd-msg")).to_contain_text("no session is running")
    page.get_by_role("link", name="History").click()
    expect(page.locator("#hist-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "history-phone.png"))
    page.get_by_role("link", name="Person").click()
    expect(page.locator("#map-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "person-phone.png"))
    page.context.close()
