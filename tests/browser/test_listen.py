"""Listen in a real browser: Lars writes a query, watches the preview follow his typing, saves.

The preview is proved live by marking the page's ``window`` first: a reload would wipe it.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.listening.helpers import post
from webcare.auth.models import User
from webcare.demo.cast import Cast
from webcare.runtime import Runtime

from .conftest import login, path_of

NO_RELOAD = "window.__stillTheSamePage = true"
STILL_THE_SAME_PAGE = "window.__stillTheSamePage === true"


def test_lars_writes_a_query_with_a_live_preview_and_saves_it(
    page: Page, runtime: Runtime, cast: Cast
) -> None:
    x = cast.accounts["x"]
    post(runtime, x, "Weer een storing bij de trein naar Utrecht")
    post(runtime, x, "Vertraging op het spoor")
    post(runtime, x, "Mijn internet doet het prima")
    with runtime.engine.begin() as conn:  # the cast speaks Dutch; this test reads English
        conn.execute(sa.update(User).where(User.username == "lars").values(locale="en"))
    login(page, "lars")

    page.goto("/listen")
    page.get_by_role("link", name="New query").click()
    expect(page).to_have_url(re.compile(r"/listen/new$"))
    page.evaluate(NO_RELOAD)
    page.locator("#query-name").fill("Storingen spoor")
    text = page.locator("#query-text")
    preview = page.locator("#preview")

    text.press_sequentially("storing AND (trein")
    expect(preview.get_by_role("alert")).to_contain_text("error at character")
    expect(preview.locator("pre.caret")).to_contain_text("^")

    text.press_sequentially(" OR spoor)")
    expect(preview.locator(".preview-total")).to_contain_text("1 hit")
    expect(preview.get_by_role("alert")).to_have_count(0)
    clauses = preview.locator(".clause-counts tbody tr")
    expect(clauses).to_have_count(2)
    expect(clauses.nth(0)).to_contain_text("storing")
    expect(preview).to_contain_text("Weer een storing bij de trein naar Utrecht")
    assert page.evaluate(STILL_THE_SAME_PAGE), "the preview updated without a reload"

    page.get_by_role("button", name="Save query").click()
    page.wait_for_url(lambda url: re.fullmatch(r"/listen/q/\d+", path_of(url)) is not None)
    expect(page.get_by_role("status")).to_contain_text("Query saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Storingen spoor")

    page.goto("/listen")
    expect(page.locator("table.listen-queries")).to_contain_text("Storingen spoor")
