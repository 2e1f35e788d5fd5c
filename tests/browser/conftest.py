"""End-to-end tests in real headless Chromium (Debian's ``chromium``), driven by Playwright.

What a browser test gets:

- ``live_url``: the real app served by uvicorn in a thread, on the test's database (both
  backends, like every database test). The embedded worker is off: call
  ``tests.conftest.drain_jobs(runtime)`` when a test needs its jobs run.
- ``browser``: one Chromium per pytest process (session scope), launched from
  ``WEBCARE_CHROMIUM`` (default ``/usr/bin/chromium``). Where that file is missing, or Playwright
  or Chromium cannot start, every browser test is skipped with the reason, never failed.
- ``new_context``: a factory of fresh browser contexts (own cookies and storage, like two
  people on two laptops) whose relative URLs go to ``live_url``; all closed after the test.
- ``page``: one page in one such context, for the common single-user test.
- :func:`login` and :func:`logout`: through the real form and button, waiting until the app
  let us in or showed the login form again.

When a test fails, a screenshot of every page it left open is saved and its path printed
in the test's report, together with the browser's console errors.

Playwright's own browser download (``playwright install``) is never used: it cannot work on a
closed network, and the project tests against the distribution's Chromium instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Cookie,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from tests.live import live_server
from webcare.auth.dependencies import SESSION_COOKIE
from webcare.demo.cast import DEMO_PASSWORD
from webcare.runtime import Runtime

CHROMIUM_PATH = Path(os.environ.get("WEBCARE_CHROMIUM", "/usr/bin/chromium"))
#: What works as root on a closed network: no sandbox (root), no GPU, and nothing that phones
#: home (QUIC, component updates, sync, background networking).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 812}  # new_context(viewport=PHONE)
#: Playwright waits up to this long (ms) for an element or a navigation before failing.
ACTION_TIMEOUT_MS = 10_000
#: Where a browser that is not (or no longer) logged in ends up.
LOGIN_URL = re.compile(r"/login(\?.*)?$")

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


class NewContext(Protocol):
    """``new_context(**options)``: options as for ``Browser.new_context`` (viewport, locale,
    ...); ``base_url`` is the live server unless given."""

    def __call__(self, **options: Any) -> BrowserContext: ...


# The browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for this pytest process, or a skip that says why there is none."""
    if not CHROMIUM_PATH.is_file():
        pytest.skip(
            f"Chromium not found at {CHROMIUM_PATH}: browser tests skipped "
            "(apt-get install chromium)"
        )
    try:
        playwright: Playwright = sync_playwright().start()
    except Exception as exc:  # the driver that ships inside the pip package did not start
        pytest.skip(f"Playwright could not start: {exc}: browser tests skipped")
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), headless=True, args=list(CHROMIUM_ARGS)
        )
    except PlaywrightError as exc:
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        pytest.skip(f"Chromium at {CHROMIUM_PATH} did not start: {first_line}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def live_url(runtime: Runtime) -> Iterator[str]:
    """The base URL of the real app, served for this test on its database."""
    with live_server(runtime) as url:
        yield url


@pytest.fixture
def new_context(
    browser: Browser, live_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[NewContext]:
    """A factory of independent browser contexts; each is one person's browser."""
    contexts: list[BrowserContext] = []
    console_errors: list[str] = []

    def keep_errors(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.page.url if message.page else "?"
            source = message.location.get("url") or where
            console_errors.append(f"{where}: {message.text} (at {source})")

    def make(**options: Any) -> BrowserContext:
        options.setdefault("base_url", live_url)
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("console", keep_errors)
        contexts.append(context)
        return context

    yield make
    # Torn down before live_url (this fixture depends on it), so no open connection, such as
    # a page's live update stream, holds up the server's shutdown.
    if _failed(request):
        _save_failure_evidence(contexts, console_errors, tmp_path)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: NewContext) -> Page:
    """A page in a fresh context (desktop viewport, English browser), not logged in."""
    return new_context().new_page()


# Helpers ----------------------------------------------------------------------------------


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the /login form, as a person would, and wait until the app let us in.

    Fails with the page's error message when the login is refused.
    """
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_response(
        lambda r: urlsplit(r.url).path == "/login" and r.request.method == "POST"
    ) as answer:
        page.locator("form[action='/login'] [type=submit]").click()
    if answer.value.status != 303:
        page.wait_for_load_state()
        message = page.get_by_role("alert").all_inner_texts()
        raise AssertionError(f"login as {username!r} refused ({answer.value.status}): {message}")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")


def logout(page: Page) -> None:
    """Press the page's log-out button and wait for the login form."""
    page.locator("form[action='/logout'] [type=submit]").click()
    page.wait_for_url(LOGIN_URL)


def session_cookie(context: BrowserContext) -> Cookie | None:
    """The browser's webcare session cookie, or None when it has none."""
    return next((c for c in context.cookies() if c.get("name") == SESSION_COOKIE), None)


def path_of(url: str) -> str:
    return urlsplit(url).path


# Evidence of a failure --------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    call = request.node.stash.get(_REPORTS, {}).get("call")
    return call is not None and call.failed


def _save_failure_evidence(
    contexts: list[BrowserContext], console_errors: list[str], directory: Path
) -> None:
    """Print where the screenshots of the open pages are, and the console errors."""
    for c, context in enumerate(contexts):
        for p, open_page in enumerate(context.pages):
            path = directory / f"failure-context{c}-page{p}.png"
            try:
                open_page.screenshot(path=path, full_page=True)
                print(f"browser: {open_page.url} -> screenshot {path}")
            except PlaywrightError as exc:
                print(f"browser: {open_page.url} -> no screenshot ({exc})")
    for line in console_errors:
        print(f"browser console error: {line}")
