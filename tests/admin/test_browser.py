"""The admin pages in a real browser: Debian's Chromium (apt), driven by Playwright's
Python API through ``executable_path`` (Playwright never downloads a browser here).

Each test saves a screenshot into its pytest temp folder. Outside CI the tests skip when
/usr/bin/chromium is missing; in CI (``CI`` set) they fail instead: .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._up import TOKEN, Up, write_config

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.integration

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(
            f"{CHROMIUM} is missing in CI: .ci/run installs it (apt-get install chromium)",
            pytrace=False,
        )
    pytest.skip(
        f"no {CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the "
        "browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def shot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def test_filter_by_maturity(up: Up, page: Page, tmp_path: Path) -> None:
    page.goto(up.url("/admin/ui/plugins"))
    total = page.locator("#plugins tbody tr").count()
    shot(page, tmp_path, "plugins")  # the README's docs/images/admin-plugins.png
    page.get_by_label("Maturity").select_option("stable")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"maturity=stable"))
    badges = page.locator("#plugins tbody tr .badge").all_inner_texts()
    assert badges and set(badges) == {"stable"} and len(badges) < total
    shot(page, tmp_path, "plugins-stable")


def test_search_pii_ranks_the_pii_plugin_first(up: Up, page: Page, tmp_path: Path) -> None:
    page.goto(up.url("/admin/ui/plugins"))
    page.get_by_label("Search").fill("pii")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#count")).to_contain_text("ranked")
    first = page.locator("#plugins tbody tr").first
    assert (first.get_attribute("data-plugin") or "").startswith("pii_")
    shot(page, tmp_path, "plugins-search-pii")


def test_open_a_plugin(up: Up, page: Page, tmp_path: Path) -> None:
    page.goto(up.url("/admin/ui/plugins"))
    page.get_by_role("link", name="pii_masker").click()
    expect(page.locator("h1")).to_have_text("pii_masker")
    expect(page.locator("#schema")).to_contain_text("[REDACTED]")
    expect(page.locator("#quality")).to_contain_text("Test coverage")
    shot(page, tmp_path, "plugin-pii_masker")


def test_explain_shows_the_order_of_hookwire_explain(up: Up, page: Page, tmp_path: Path) -> None:
    page.goto(up.url("/admin/ui/explain"))
    page.get_by_label("Hook").fill("tool_pre_invoke")
    page.get_by_label("Entity type").select_option("tool")
    page.get_by_label("Name", exact=True).fill("send_email")
    page.get_by_role("button", name="Explain").click()
    shown = [li.get_attribute("data-instance") for li in page.locator("#resolved li").all()]
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookwire.router.cli",
            "explain",
            "--config",
            str(up.config),
            "--hook",
            "tool_pre_invoke",
            "--entity-type",
            "tool",
            "--name",
            "send_email",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert shown == [p["instance"] for p in json.loads(cli.stdout)["plugins"]]
    expect(page.locator("#reasons")).to_contain_text("no match")
    shot(page, tmp_path, "explain")


def test_rules_on_a_narrow_screen(up: Up, browser: Browser, tmp_path: Path) -> None:
    """A phone-sized screen: nothing spills sideways; each entity type keeps its colour
    in the legend, the rows and the entity names it lists."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(up.url("/admin/ui/rules"))
        expect(page.locator("#rules")).to_contain_text("summarize")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the screen"
        colour = "el => getComputedStyle(el).backgroundColor"
        legend = page.locator("main > p .ent-prompt").evaluate(colour)
        in_row = page.locator("#rules .ent.ent-prompt").first.evaluate(colour)
        name = page.locator("#rules .ent-name", has_text="summarize").evaluate(
            "el => getComputedStyle(el).borderTopColor"
        )
        assert legend == in_row == name
        tool = page.locator("main > p .ent-tool").evaluate(colour)
        assert tool != legend
        shot(page, tmp_path, "rules-narrow")
    finally:
        context.close()


def test_apply_and_roll_back_from_the_ui(up: Up, page: Page, tmp_path: Path) -> None:
    page.goto(up.url("/admin/ui/config"))
    page.get_by_label("Access token").fill(TOKEN)
    page.get_by_label("Access token").dispatch_event("change")
    live = int(page.locator("#history tr.live").get_attribute("data-revision") or 0)

    page.get_by_label("Config (YAML)").fill(write_config(tmp_path, pii_priority=1).read_text())
    page.get_by_label("Why").fill("pii first")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply…").click()
    applied = live + 1
    expect(page.locator(f'#history tr.live[data-revision="{applied}"]')).to_contain_text(
        "pii first"
    )
    page.goto(up.url("/admin/ui/status"))
    expect(page.locator("#routers td.revision").first).to_have_text(str(applied))
    page.goto(up.url("/admin/ui/rules"))
    expect(page.locator("#rules tbody tr").first.locator("li").first).to_contain_text("pii_filter")
    shot(page, tmp_path, "rules-after-apply")

    page.goto(up.url("/admin/ui/config"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Roll back to {live}", exact=True).click()
    rolled = applied + 1
    expect(page.locator(f'#history tr.live[data-revision="{rolled}"]')).to_contain_text(
        f"rollback to {live}"
    )
    shot(page, tmp_path, "config-after-rollback")
    page.goto(up.url("/admin/ui/status"))
    expect(page.locator("#routers td.revision").first).to_have_text(str(rolled))


def test_a_killed_workers_pool_turns_red_and_comes_back(up: Up, page: Page, tmp_path: Path) -> None:
    """The pool is red from the kill until its restarted worker is up (at least the
    supervisor's 0.5 s backoff). Should a refresh fall outside that window, the test kills
    the new worker too (each crash doubles the backoff; 3 stay under the failed limit)."""
    page.goto(up.url("/admin/ui/status?every=0.5"))
    row = page.locator('#pools tr[data-pool="pii_filter"]')
    expect(row).to_have_class("good")
    for _ in range(3):
        pids = up.worker_pids("pii_filter")
        assert pids, "no pii_filter worker under hookwire up"
        os.kill(pids[0], signal.SIGKILL)
        try:
            expect(row).to_have_class("bad", timeout=4_000)
        except AssertionError:
            continue  # a refresh missed the window: kill the restarted worker
        shot(page, tmp_path, "status-red")
        break
    else:
        raise AssertionError("the status page never showed the killed worker's pool red")
    expect(row).to_have_class("good", timeout=30_000)
    expect(row).not_to_contain_text("failed")
    shot(page, tmp_path, "status-back")
