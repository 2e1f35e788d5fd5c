"""Logging in and out in a real browser: what a person sees at the door of webcare."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from webcare.auth.dependencies import SESSION_COOKIE
from webcare.demo.cast import Cast

from .conftest import LOGIN_URL, NewContext, login, logout, path_of, session_cookie

WRONG_PASSWORD = "not-annas-password-7391"


def test_a_wrong_password_shows_a_readable_error_and_never_echoes_the_password(
    page: Page, cast: Cast
) -> None:
    page.goto("/login")
    page.locator("#username").fill("anna")
    page.locator("#password").fill(WRONG_PASSWORD)
    page.locator("form[action='/login'] [type=submit]").click()

    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"password|wachtwoord", re.IGNORECASE))
    assert "Traceback" not in error.inner_text()
    expect(page).to_have_url(LOGIN_URL)
    # The username is kept so a typo is quick to fix; the password is gone, everywhere.
    expect(page.locator("#username")).to_have_value("anna")
    expect(page.locator("#password")).to_have_value("")
    assert WRONG_PASSWORD not in page.content()
    assert session_cookie(page.context) is None


def test_anna_logs_in_and_out_and_her_old_session_no_longer_opens_the_app(
    page: Page, cast: Cast
) -> None:
    login(page, "anna")

    assert path_of(page.url) != "/login"
    cookie = session_cookie(page.context)
    assert cookie is not None
    assert cookie.get("httpOnly") is True  # page scripts (and XSS) cannot read it
    assert cookie.get("sameSite") == "Lax"
    assert SESSION_COOKIE not in page.evaluate("document.cookie")

    logout(page)

    assert session_cookie(page.context) is None
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    # A copy of the cookie kept from before the logout is worthless: the session ended on
    # the server, not only in this browser.
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": cookie.get("value", ""), "url": page.url}]
    )
    assert session_cookie(page.context) is not None
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)


def test_two_people_in_two_browsers_have_their_own_sessions(
    new_context: NewContext, cast: Cast
) -> None:
    anna = new_context().new_page()
    lars = new_context().new_page()
    login(anna, "anna")
    login(lars, "lars")
    expect(anna.locator("body")).to_contain_text("Anna de Vries")
    expect(lars.locator("body")).to_contain_text("Lars Bakker")

    logout(lars)

    anna.reload()
    assert path_of(anna.url) != "/login"
    expect(anna.locator("body")).to_contain_text("Anna de Vries")
    lars.goto("/")
    expect(lars).to_have_url(LOGIN_URL)
