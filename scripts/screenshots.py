"""Screenshots of webcare's main screens in headless Chromium: ``make screenshots``.

Starts the app on a throw-away SQLite database filled with the Glasnet demo (the same
``prepare_demo`` as ``webcare demo``), logs in through the real login form and writes one PNG per
screen into ``screenshots/``. A screen whose page answers something other than 200, or sends
the browser elsewhere, is captured all the same (it shows what a person would see) and listed
at the end.

To add a screen, add a line to ``SCREENS``. A path may contain ``{oldest_open}``: the open
conversation that has waited longest, the one on top of the inbox.

Chromium is Debian's (``apt-get install chromium``), at ``WEBCARE_CHROMIUM`` or
``/usr/bin/chromium``; ``playwright install`` is never needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from webcare.app import create_app
from webcare.auth import service as auth_service
from webcare.config import Settings
from webcare.demo.cast import DEMO_PASSWORD
from webcare.demo.runner import prepare_demo
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime, build_runtime

DESKTOP = (1440, 900)  # width, height in CSS pixels
PHONE = (375, 812)


@dataclass(frozen=True)
class Screen:
    name: str  # the file: screenshots/<name>.png
    path: str  # may contain {oldest_open}
    user: str | None = "anna"  # who is logged in; None: nobody
    locale: str = "en"  # the user's language (users.locale) and the browser's
    viewport: tuple[int, int] = DESKTOP
    full_page: bool = False  # the whole scrollable page instead of the first screenful


SCREENS: tuple[Screen, ...] = (
    Screen("login", "/login", user=None),
    Screen("inbox", "/inbox"),
    Screen("conversation", "/inbox/c/{oldest_open}"),
    Screen("conversation-phone", "/inbox/c/{oldest_open}", viewport=PHONE),
    Screen("inbox-nl", "/inbox", locale="nl"),
    Screen("admin-users", "/admin/users", user="beheer"),
)

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_PATH = Path(os.environ.get("WEBCARE_CHROMIUM", "/usr/bin/chromium"))
#: The same launch arguments as tests/browser/conftest.py: root, no GPU, closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_LOCALES = {"en": "en-US", "nl": "nl-NL"}
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Shot:
    screen: Screen
    url: str
    status: int | None  # None: no answer at all
    final_url: str
    file: Path

    @property
    def problem(self) -> str | None:
        if self.status is None:
            return "no response"
        if self.status != 200:
            return f"HTTP {self.status}"
        if urlsplit(self.final_url).path != urlsplit(self.url).path:
            return f"ended at {urlsplit(self.final_url).path}"
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="output folder")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these screens")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a screen is not a 200 at its own URL"
    )
    args = parser.parse_args()
    screens = [s for s in SCREENS if not args.only or s.name in args.only]
    unknown = set(args.only or ()) - {s.name for s in SCREENS}
    if unknown:
        parser.error(f"unknown screen(s): {', '.join(sorted(unknown))}")
    if not CHROMIUM_PATH.is_file():
        print(
            f"screenshots: Chromium not found at {CHROMIUM_PATH} "
            "(apt-get install chromium, or set WEBCARE_CHROMIUM)",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="webcare-screenshots-") as data_dir:
        runtime = build_runtime(Settings(data_dir=Path(data_dir), embedded_worker=False))
        try:
            print("screenshots: preparing the demo workspace ...", flush=True)
            token = prepare_demo(runtime).token
            with serve(runtime) as base_url:
                values = {"oldest_open": oldest_open_conversation(base_url, token)}
                shots = take(screens, runtime, base_url, values, args.out)
        finally:
            runtime.dispose()

    problems = [(shot, shot.problem) for shot in shots if shot.problem]
    for shot in shots:
        note = f"  <- {shot.problem}" if shot.problem else ""
        print(f"  {shot.file}  {shot.status or '-'}  {shot.url}{note}")
    if problems:
        print(f"screenshots: {len(problems)} of {len(shots)} screens not a 200 at their own URL:")
        for shot, problem in problems:
            print(f"  {shot.screen.name}: {shot.url} ({problem})")
    else:
        print(f"screenshots: {len(shots)} screens, all 200")
    return 1 if problems and args.strict else 0


@contextmanager
def serve(runtime: Runtime) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, in a background thread; yields its base URL."""
    app = create_app(runtime=runtime)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def oldest_open_conversation(base_url: str, token: str) -> int:
    """The id of the open conversation that has waited longest, asked of the public API."""
    response = httpx.get(
        f"{base_url}/api/v1/conversations",
        params={"status": "open", "sort": "waiting", "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    items = response.json()["items"]
    if not items:
        raise RuntimeError("the demo has no open conversation")
    return int(items[0]["id"])


def take(
    screens: list[Screen], runtime: Runtime, base_url: str, values: Mapping[str, object], out: Path
) -> list[Shot]:
    shots: list[Shot] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for screen in screens:
                shots.append(take_one(browser, screen, runtime, base_url, values, out))
        finally:
            browser.close()
    return shots


def take_one(
    browser: Browser,
    screen: Screen,
    runtime: Runtime,
    base_url: str,
    values: Mapping[str, object],
    out: Path,
) -> Shot:
    """One screen in a fresh browser (its own cookies), logged in as the screen's user."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": screen.viewport[0], "height": screen.viewport[1]},
        locale=BROWSER_LOCALES.get(screen.locale, screen.locale),
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        if screen.user:
            set_locale(runtime, screen.user, screen.locale)
            log_in(page, screen.user)
        url = screen.path.format(**values)
        try:
            response = page.goto(url)
        except PlaywrightError as exc:
            print(f"  {screen.name}: {url} did not load: {exc}", file=sys.stderr)
            response = None
        settle(page)
        file = out / f"{screen.name}.png"
        page.screenshot(path=file, full_page=screen.full_page)
        status = response.status if response else None
        return Shot(screen, url, status, page.url, file)
    finally:
        context.close()


def set_locale(runtime: Runtime, username: str, locale: str) -> None:
    """Give the demo user the screen's language (a demo-only change)."""
    if locale not in auth_service.SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    with unit_of_work(runtime.session_factory) as session:
        user = auth_service.get_user_by_username(session, username)
        if user is None:
            raise RuntimeError(f"the demo has no user {username!r}")
        auth_service.update_preferences(session, user, locale=locale, timezone=user.timezone)


def log_in(page: Page, username: str) -> None:
    """Through the login form, as a person; says so (and goes on) when it is refused."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] [type=submit]").click()
    try:
        page.wait_for_url(lambda url: urlsplit(url).path != "/login", timeout=5_000)
    except PlaywrightTimeout:
        errors = page.get_by_role("alert").all_inner_texts()
        print(f"  login as {username} failed: {errors or 'still on /login'}", file=sys.stderr)


def settle(page: Page) -> None:
    """Wait until the page has loaded its assets and fonts, but not for a live connection."""
    # A page with a live update stream is never idle; it has loaded all the same.
    with suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=3_000)
    page.evaluate("document.fonts.ready.then(() => true)")


if __name__ == "__main__":
    sys.exit(main())
