"""The seminar app in a real browser: Debian's headless Chromium, driven by Playwright.

The servers run offline: the CDN Solara would fetch the page's scripts from is unreachable, so
the page works only from the app's own cache (seminar/assets.py), which the app's first start
fills through npm when it is empty; a blank page fails the tests. A second server, with an
empty cache and no npm registry either, must say so in the page and print the fixing command.

The main test starts `solara run` on a free localhost port, loads the page at projector size
(1280×720), steps, plays and pauses, injects a political opportunity, moves a slider, chooses
who goes on exchanges and resets, checks that the picture and the plots changed each time,
then makes a step fail and checks that the page says so. A screenshot of the page is saved for
people to look at. The others load a guided exercise, play a predict-then-run round, keep three
named runs and check that nothing is cut off on a 1024×768 projector.

The server runs the app through a two-line wrapper that only adds that failure, for one
seed nobody uses by default: everything else is `seminar/app.py` as `uv run solara run` serves it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from seminar import assets, components, settings
from seminar.session import SeminarRun

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAULT_SEED = 4242  # the wrapper breaks month 2 of runs with this root seed
WRAPPER = f"""
from seminar.app import Page  # noqa: F401  (the seminar app, unchanged)
from sim.model import TutorialNetworkModel
from runs.driver import replicate_seeds

FAULTY = replicate_seeds({FAULT_SEED}, 1)[0]
_step = TutorialNetworkModel.step


def step(self):
    if self.seed == FAULTY and self.steps >= 2:
        raise RuntimeError("a step broken on purpose")
    _step(self)


TutorialNetworkModel.step = step
"""
# The first start may fetch the page's scripts through npm (about 80 MB) before it answers.
SERVER_START_S = 300
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)  # a shared 2-core machine can be slow to answer
NOWHERE = "http://127.0.0.1:9/"  # the discard port: refused at once, like a missing network
OFFLINE = {"SOLARA_ASSETS_CDN": NOWHERE}


def start_server(tmp: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`solara run` of the wrapped app in `env`; yields its URL and its terminal log."""
    app = tmp.mktemp("app") / "seminar_app.py"
    app.write_text(WRAPPER)
    command = [sys.executable, "-m", "solara", "run", str(app), "--host", "127.0.0.1"]
    command += ["--port", "0", "--production", "--no-open"]
    log = tmp.mktemp("log") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=os.environ | env
        )
    try:
        yield wait_for_server(proc, log), log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app without a CDN: its scripts come from its cache, filled on its first start."""
    for url, _log in start_server(tmp_path_factory, OFFLINE):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_server(proc: subprocess.Popen, log: Path) -> str:
    """The server's URL once it answers (`--port 0` lets it pick a free port and print it)."""
    deadline = time.monotonic() + SERVER_START_S
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app server exited:\n{log.read_text()[-2000:]}")
        found = re.search(r"starting at (http://127\.0\.0\.1:\d+)", log.read_text())
        url = found.group(1) if found else None
        if url:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return url
            except OSError:
                pass
        time.sleep(0.3)
    pytest.fail(f"the app server did not answer in {SERVER_START_S} s:\n{log.read_text()[-2000:]}")


def open_page(browser, url: str, width: int = 1280, height: int = 720) -> tuple[Page, list[str]]:
    """A page on the app at a screen size, and the JavaScript errors it raises; a blank page
    (the scripts missing) fails here, with the page's own words."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    try:
        page.locator("img.redes-picture").wait_for()
    except Exception:
        pytest.fail(f"the page stayed blank offline: {page.locator('body').inner_text()[:500]!r}")
    expect(page.locator("#redes-no-scripts")).to_be_hidden()
    return page, errors


@pytest.fixture(scope="module")
def browser_page(server: str, browser) -> Iterator[tuple[Page, list[str]]]:
    """A 1280×720 page on the app, and the JavaScript errors it raises."""
    page, errors = open_page(browser, server)
    yield page, errors
    page.close()


def shot(page: Page, selector: str) -> bytes:
    return page.locator(selector).screenshot()


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def month(page: Page) -> int:
    text = page.locator(".redes-month").inner_text()
    return int(re.search(r"Month (\d+) of", text).group(1))


def notes(page: Page) -> str:
    return page.locator(".redes-side").inner_text()


def test_the_seminar_app_in_chromium(browser_page, tmp_path_factory):
    page, errors = browser_page
    picture_0, plots_0 = shot(page, "img.redes-picture"), shot(page, "img.redes-plots")
    assert month(page) == 0
    assert "Nothing has run yet" in notes(page)

    # Step: one month, the plots get their first segment.
    page.locator(".redes-step").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 1 of 120")
    wait_until(lambda: shot(page, "img.redes-plots") != plots_0, "the plots to change on Step")

    # Play, then pause: months go by, schools join, the picture changes.
    page.locator(".redes-play").click()
    expect(page.locator(".redes-play")).to_have_text("Pause")
    wait_until(lambda: month(page) >= 9, "Play to run nine months")
    page.locator(".redes-play").click()
    expect(page.locator(".redes-play")).to_have_text("Play")
    paused = month(page)  # the month being computed when Pause came may still be shown
    time.sleep(1.0)
    settled = month(page)
    time.sleep(1.0)
    assert month(page) == settled <= paused + 1, "Pause did not stop the run"
    wait_until(lambda: shot(page, "img.redes-picture") != picture_0, "the picture to change")
    picture_played = shot(page, "img.redes-picture")
    assert "Mobilizing structures" in notes(page) and "Coach" in notes(page)

    # A movement leader joins the ministry: adopting schools become sheltered pilots at once.
    page.locator(".redes-inject-leader_joins_ministry").click()
    wait_until(lambda: "Political opportunities" in notes(page), "the opportunity in the notes")
    wait_until(lambda: shot(page, "img.redes-picture") != picture_played, "sheltered schools")

    # Move a slider: the value shows, the page asks for Reset, Reset starts a new run with it.
    page.locator(".redes-lever-test_pressure [role=slider]").focus()
    page.keyboard.press("End")
    expect(page.locator(".redes-lever-test_pressure")).to_contain_text("Test pressure (stakes): 1")
    expect(page.locator(".redes-pending")).to_be_visible()
    # A menu lever: who goes on exchanges, shown in words, set as its override.
    choose(page, ".redes-lever-exchange_selection", "least engaged")
    command = page.locator(".redes-command")
    expect(command).to_contain_text("scenario.exchanges.selection=least_engaged")
    page.locator(".redes-reset").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 0 of 120")
    expect(page.locator(".redes-pending")).to_have_count(0)
    # The run just left stays in the plots as run A.
    expect(page.locator(".redes-kept-names")).to_contain_text("run A: voluntary")
    wait_until(lambda: shot(page, "img.redes-plots") != plots_0, "run A in the plots")
    page.locator(".redes-step").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 1 of 120")
    wait_until(lambda: "Test-and-punish" in notes(page), "the test-and-punish note")
    # The notes are redrawn as a whole but may arrive a moment after the month: wait for them.
    wait_until(lambda: "the least engaged students go" in notes(page), "the exchange rule")

    out = tmp_path_factory.mktemp("artifacts") / "seminar-1280x720.png"
    page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000
    print(f"screenshot: {out}")
    if os.environ.get("REDES_ARTIFACTS"):
        page.screenshot(path=str(Path(os.environ["REDES_ARTIFACTS"]) / out.name))

    # A failing step says so in the page; the picture stays and Step is disabled.
    seed = page.locator(".redes-seed input")
    seed.fill(str(FAULT_SEED))
    seed.press("Enter")
    expect(page.locator(".redes-pending")).to_be_visible()
    page.locator(".redes-reset").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 0 of 120")
    page.locator(".redes-step").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 1 of 120")
    page.locator(".redes-step").click()
    failure = page.locator(".redes-failure")
    expect(failure).to_contain_text("The model stopped in month 2: RuntimeError")
    expect(failure).to_contain_text("Press Reset")
    expect(page.locator(".redes-step")).to_be_disabled()
    expect(page.locator("img.redes-picture")).to_be_visible()
    assert errors == []


def choose(page: Page, select: str, option: str) -> None:
    """Pick an option of a Vuetify select by its visible text."""
    page.locator(f"{select} .v-field").click()
    page.locator(".v-overlay--active .v-list-item", has_text=option).first.click()
    expect(page.locator(select)).to_contain_text(option)


def test_a_guided_exercise_from_start_to_discussion_question(browser, server):
    page, errors = open_page(browser, server)
    choose(page, ".redes-exercise", "3. The cost of test-and-punish")
    page.locator(".redes-load-exercise").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 120 of 120")
    pinned = page.locator(".redes-pinned")
    expect(pinned).to_contain_text("Read — Testing:")
    expect(pinned).to_contain_text("Discuss: The test was meant to raise learning.")
    assert pinned.bounding_box()["y"] < 150, "the exercise's note is not at the top"
    expect(page.locator(".redes-scenario")).to_contain_text("Test and punish")
    assert errors == []
    page.close()


def test_a_predict_then_run_round_keeps_a_tally(browser, server):
    page, errors = open_page(browser, server)
    expect(page.locator(".redes-reveal")).to_be_disabled()
    expect(page.locator(".redes-exercises")).to_contain_text("Enter a guess")
    guess = page.locator(".redes-guess input")
    guess.fill("30")
    guess.press("Enter")
    page.locator(".redes-reveal").click()
    tally = page.locator(".redes-tally")
    expect(tally).to_contain_text("Guess 30, the run gave")
    expect(tally).to_contain_text("of 1 guesses close")
    expect(page.locator(".redes-month")).to_contain_text("Month 72 of 120")
    assert errors == []
    page.close()


def test_three_named_runs_are_kept_and_named(browser, server):
    page, errors = open_page(browser, server)
    plots = []
    for scenario in ("Mandated", "Test and punish", "Voluntary"):
        page.locator(".redes-speed .v-field").click()
        page.locator(".v-overlay .v-list-item", has_text="1 year").first.click()
        page.locator(".redes-play").click()
        wait_until(lambda: month(page) >= 36, "three years of Play")
        page.locator(".redes-play").click()
        expect(page.locator(".redes-play")).to_have_text("Play")
        choose(page, ".redes-scenario", scenario)
        page.locator(".redes-reset").click()
        expect(page.locator(".redes-month")).to_contain_text("Month 0 of")
        plots.append(shot(page, "img.redes-plots"))
    names = page.locator(".redes-kept-names")
    expect(names).to_contain_text("run A: voluntary")
    expect(names).to_contain_text("run B: mandated")
    expect(names).to_contain_text("run C: test_and_punish")
    assert len(set(plots)) == 3, "each kept run adds a line to the plots"
    assert errors == []
    page.close()


def test_a_click_on_a_school_tells_its_story_and_lenses_recolour(browser, server):
    page, errors = open_page(browser, server)
    run = SeminarRun(settings.preset(components.default_scenario()), settings.injected_events())
    layout, school = run.picture.layout, 0
    x, y = layout.xy[school]
    picture = page.locator("img.redes-picture")
    box = picture.bounding_box()
    fx, fy = (x + 0.005) / (layout.width + 0.01), (1.005 - y) / 1.01
    picture.click(position={"x": fx * box["width"], "y": fy * box["height"]})
    story = page.locator(".redes-story")
    expect(story).to_contain_text(f"School {school + 1}, zone {layout.zone[school] + 1}")
    expect(story).to_contain_text("zone supervisor's stance")
    before = shot(page, "img.redes-picture")
    choose(page, ".redes-lens", "motivation")
    expect(page.locator(".redes-lens-key")).to_contain_text("motivation")
    wait_until(lambda: shot(page, "img.redes-picture") != before, "the lens to recolour")
    page.locator(".redes-story-close").click()
    expect(story).to_have_count(0)
    assert errors == []
    page.close()


def cut_off(page: Page) -> list[str]:
    """Visible elements that reach past the screen's edges, or past their column (whose
    scrolling would hide, not show, what sticks out sideways)."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.querySelectorAll('.redes-page *')) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.height === 0) continue;
            const column = el.closest('.redes-controls, .redes-middle, .redes-side');
            const c = column ? column.getBoundingClientRect() : {left: 0, right: width};
            const left = Math.max(0, c.left), right = Math.min(width, c.right);
            if (r.left < left - 1 || r.right > right + 1) {
                const where = `[${Math.round(r.left)}, ${Math.round(r.right)}]`;
                out.push(`${el.tagName}.${el.className} ${where} "${el.innerText || ''}"`);
            }
        }
        return out.slice(0, 10);
    }"""
    )


def month_font_px(page: Page) -> float:
    return float(page.locator(".redes-month").evaluate("e => getComputedStyle(e).fontSize")[:-2])


def test_the_projector_layout_fits_1024x768(browser, server, tmp_path_factory):
    page, errors = open_page(browser, server, 1024, 768)
    page.locator(".redes-step").click()
    expect(page.locator(".redes-month")).to_contain_text("Month 1 of")
    for size, month_px in (("100%", 17), ("150%", 25.5)):
        choose(page, ".redes-text-size", size)
        wait_until(lambda px=month_px: month_font_px(page) == px, f"the text at {size}")
        assert cut_off(page) == [], f"cut off at 1024×768, {size}: {cut_off(page)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        for column in (".redes-controls", ".redes-middle", ".redes-side"):
            box = page.locator(column).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1024, (size, column)
    out = tmp_path_factory.mktemp("artifacts") / "seminar-1024x768.png"
    page.screenshot(path=str(out))
    if os.environ.get("REDES_ARTIFACTS"):
        page.screenshot(path=str(Path(os.environ["REDES_ARTIFACTS"]) / out.name))
    assert errors == []
    page.close()


def test_offline_start_without_scripts_says_so_and_names_the_fix(browser, tmp_path_factory):
    """No CDN, an empty cache and no npm registry: the page and the terminal say what to do."""
    empty = tmp_path_factory.mktemp("empty-cache")
    env = OFFLINE | {
        "REDES_CACHE": str(empty),
        "npm_config_registry": NOWHERE,
        "npm_config_fetch_retries": "0",
    }
    for url, log in start_server(tmp_path_factory, env):
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.goto(url)
        notice = page.locator("#redes-no-scripts")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("its scripts are missing")
        expect(notice).to_contain_text(assets.FIX_COMMAND)
        assert f"Fix it with internet once:  {assets.FIX_COMMAND}" in log.read_text()
        page.close()
