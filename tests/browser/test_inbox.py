"""The agent inbox in a real browser: what Anna and Lars see and do on a working day.

Every step is checked the way a person would notice it (the list changes, a chip appears, a
toast pops up), with Playwright's auto-waiting ``expect``; nothing sleeps. Live updates are
proved by marking the page's ``window`` first: a reload would wipe the mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from tests.conftest import drain_jobs, token_for
from webcare.auth.models import User
from webcare.conversation.models import Message
from webcare.demo.cast import Cast
from webcare.kit.time import utc_now
from webcare.runtime import Runtime

from .conftest import PHONE, NewContext, login

#: How long (ms) a live update may take to show: generous for a busy CI machine, and only
#: ever waited out when the update never comes.
LIVE_MS = 10_000
#: Set on ``window`` after a page loaded; still there later means the page was not reloaded.
NO_RELOAD = "window.__stillTheSamePage = true"
STILL_THE_SAME_PAGE = "window.__stillTheSamePage === true"


# Setting the scene ------------------------------------------------------------------------


class Customers:
    """Customers writing in through the generic API channel of the live server."""

    def __init__(self, base_url: str, token: str, cast: Cast) -> None:
        self._client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self._cast = cast

    def write(
        self,
        external_id: str,
        text: str,
        *,
        author: str = "klant-1",
        name: str = "Sophie Vermeulen",
        minutes_ago: float = 5,
        **extra: Any,
    ) -> int:
        """One customer message; returns its conversation's id."""
        body = {
            "external_id": external_id,
            "author": {"id": author, "handle": f"{author}_nl", "name": name},
            "text": text,
            "sent_at": (utc_now() - timedelta(minutes=minutes_ago)).isoformat(),
            **extra,
        }
        account = self._cast.accounts["api"].id
        response = self._client.post(f"/api/v1/channel-accounts/{account}/messages", json=body)
        assert response.status_code in (200, 201), response.text
        return int(response.json()["conversation_id"])

    def label(self, conversation_id: int, label: str) -> None:
        response = self._client.post(
            f"/api/v1/conversations/{conversation_id}/labels", json={"name": label}
        )
        assert response.status_code in (200, 201), response.text

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def customers(live_url: str, runtime: Runtime, cast: Cast) -> Iterator[Customers]:
    found = Customers(live_url, token_for(runtime, cast), cast)
    yield found
    found.close()


def speaks(runtime: Runtime, username: str, locale: str) -> None:
    """The UI language is the user's setting (the cast speaks Dutch by default)."""
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(User).where(User.username == username).values(locale=locale))


def replies(runtime: Runtime, conversation_id: int) -> list[str]:
    """The texts of the replies stored for the conversation, oldest first."""
    with runtime.session_factory() as session:
        stmt = sa.select(Message.text).where(
            Message.conversation_id == conversation_id, Message.direction == "outbound"
        )
        return list(session.scalars(stmt.order_by(Message.id)))


# Finding things on the page ---------------------------------------------------------------


def open_live(page: Page, path: str) -> None:
    """Go to ``path`` and wait until the page's live update stream is connected, so that
    nothing the test does next can happen before the page listens."""
    with page.expect_response(lambda r: urlsplit(r.url).path == "/live"):
        page.goto(path)
    page.evaluate(NO_RELOAD)


def list_ids(page: Page) -> list[int]:
    ids = page.locator("#list .item").evaluate_all("items => items.map(i => i.dataset.id)")
    return [int(i) for i in ids]


def item(page: Page, conversation_id: int) -> Locator:
    return page.locator(f"#list .item[data-id='{conversation_id}']")


def pane(page: Page, conversation_id: int) -> Locator:
    """The open conversation, once it is the one asked for."""
    return page.locator(f"#conversation .conversation[data-conversation-id='{conversation_id}']")


def count(page: Page, view: str) -> Locator:
    return page.locator(f"#nav [data-count='{view}']")


def send_button(page: Page) -> Locator:
    return page.locator("#reply-form").get_by_role("button", name="Send", exact=True)


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(STILL_THE_SAME_PAGE), "the page was reloaded"


# 1-3. Find, open, reply, keep a draft ------------------------------------------------------


def test_anna_filters_the_list_opens_a_conversation_and_replies(
    new_context: NewContext, runtime: Runtime, cast: Cast, customers: Customers
) -> None:
    oldest = customers.write("m1", "Al een week geen internet", author="a", minutes_ago=90)
    invoice = customers.write("m2", "Mijn factuur klopt niet", author="b", minutes_ago=30)
    newest = customers.write(
        "m3", "Mijn modem knippert rood", author="c", minutes_ago=5, kind="public_thread"
    )
    customers.label(invoice, "factuur")
    speaks(runtime, "anna", "en")
    page = new_context().new_page()
    login(page, "anna")
    open_live(page, "/inbox")

    # Oldest waiting first.
    expect(page.locator("#list .item")).to_have_count(3)
    assert list_ids(page) == [oldest, invoice, newest]

    # Searching narrows the list as she types, and the URL follows (bookmarkable).
    page.locator("#q").press_sequentially("modem")
    expect(page.locator("#list .item")).to_have_count(1)
    expect(item(page, newest)).to_contain_text("Mijn modem knippert rood")
    expect(page).to_have_url(re.compile(r"/inbox\?.*q=modem"))
    page.locator("#q").clear()
    page.locator("#q").press("Enter")
    expect(page.locator("#list .item")).to_have_count(3)

    # A filter: only the conversations with the label "factuur".
    page.locator("#filters summary").click()
    page.locator("#filters select[name=label]").select_option("factuur")
    expect(page.locator("#list .item")).to_have_count(1)
    expect(item(page, invoice)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/inbox\?.*label=factuur"))
    assert_not_reloaded(page)

    # Opening it shows the customer's message; the list stays as filtered.
    item(page, invoice).locator(".item-link").click()
    expect(pane(page, invoice).locator("#thread")).to_contain_text("Mijn factuur klopt niet")
    expect(page).to_have_url(re.compile(rf"/inbox/c/{invoice}\?.*label=factuur"))
    expect(item(page, invoice)).to_have_class(re.compile(r"\bopen\b"))

    # The counter counts the signature that will be added (" ^AV").
    composer = page.locator("#reply-text")
    counter = page.locator("#reply-form [data-counter]")
    expect(counter).to_have_text("4 / 10000")
    composer.fill("Dat zoeken we uit.")
    expect(counter).to_have_text(f"{len('Dat zoeken we uit.') + 4} / 10000")

    # The note tab and back: what she typed stays.
    page.get_by_role("tab", name="Internal note").click()
    expect(page.locator("#note-text")).to_be_visible()
    expect(composer).to_be_hidden()
    page.get_by_role("tab", name="Reply").click()
    expect(composer).to_be_visible()
    expect(composer).to_have_value("Dat zoeken we uit.")

    # A draft survives going to another conversation and back.
    page.locator("#filters select[name=label]").select_option("")
    expect(page.locator("#list .item")).to_have_count(3)
    item(page, oldest).locator(".item-link").click()
    expect(pane(page, oldest)).to_be_visible()
    expect(composer).to_have_value("")
    item(page, invoice).locator(".item-link").click()
    expect(pane(page, invoice)).to_be_visible()
    expect(composer).to_have_value("Dat zoeken we uit.")

    # Send: shown at once as "Sending…", signed.
    send_button(page).click()
    outbound = page.locator("#thread .msg.outbound")
    expect(outbound).to_have_count(1)
    expect(outbound).to_contain_text("Dat zoeken we uit. ^AV")
    expect(outbound.locator(".delivery")).to_have_text("Sending…")
    expect(composer).to_have_value("")
    assert replies(runtime, invoice) == ["Dat zoeken we uit. ^AV"]

    # The worker tries to deliver it; the demo API channel has nowhere to send replies to,
    # and the failure shows up live, with its reason and a way to retry.
    drain_jobs(runtime)
    expect(outbound.locator(".delivery")).to_contain_text("Not sent:", timeout=LIVE_MS)
    expect(outbound.get_by_role("button", name="Retry")).to_be_visible()
    assert_not_reloaded(page)

    # The sent draft is gone: coming back shows an empty composer.
    item(page, oldest).locator(".item-link").click()
    expect(pane(page, oldest)).to_be_visible()
    item(page, invoice).locator(".item-link").click()
    expect(pane(page, invoice)).to_be_visible()
    expect(composer).to_have_value("")

    # Ctrl+Enter sends too.
    item(page, oldest).locator(".item-link").click()
    expect(pane(page, oldest)).to_be_visible()
    composer.fill("We sturen een monteur.")
    composer.press("Control+Enter")
    expect(pane(page, oldest).locator("#thread .msg.outbound")).to_contain_text(
        "We sturen een monteur. ^AV"
    )
    assert replies(runtime, oldest) == ["We sturen een monteur. ^AV"]

    # On X a public reply may have 280 characters, a private message many more.
    with runtime.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE channel_accounts SET platform='x' WHERE id=:id"),
            {"id": cast.accounts["api"].id},
        )
    page.goto(f"/inbox/c/{newest}")
    expect(counter).to_have_text("4 / 280")
    composer.fill("x" * 277)
    expect(counter).to_have_text("281 / 280")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    page.get_by_label("Private message").check()
    expect(counter).to_have_text("281 / 10000")
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))


# 5, 8. Assign, label, priority, snooze, resolve; the keyboard ---------------------------------


def test_anna_works_through_the_inbox_with_the_keyboard_and_the_action_bar(
    new_context: NewContext, runtime: Runtime, cast: Cast, customers: Customers
) -> None:
    first = customers.write("m1", "Storing in Utrecht", author="a", minutes_ago=60)
    second = customers.write("m2", "Wanneer komt de monteur?", author="b", minutes_ago=40)
    third = customers.write("m3", "Kan ik mijn abonnement opzeggen?", author="c", minutes_ago=20)
    speaks(runtime, "anna", "en")
    page = new_context().new_page()
    login(page, "anna")
    open_live(page, "/inbox")
    expect(count(page, "open")).to_have_text("3")

    # "?" shows the shortcuts; Escape closes them.
    page.keyboard.press("?")
    help_dialog = page.locator("#help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Next / previous conversation")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # j / k walk down and up the list, opening each conversation.
    page.keyboard.press("j")
    expect(pane(page, first)).to_contain_text("Storing in Utrecht")
    page.keyboard.press("j")
    expect(pane(page, second)).to_contain_text("Wanneer komt de monteur?")
    expect(page).to_have_url(re.compile(rf"/inbox/c/{second}\b"))
    page.keyboard.press("k")
    expect(pane(page, first)).to_be_visible()
    expect(item(page, first)).to_have_class(re.compile(r"\bselected\b"))

    # Assign to herself: the pane says so, "Mine" counts it.
    conversation = pane(page, first)
    conversation.locator("#assign-select").select_option(str(cast.users["anna"]))
    expect(pane(page, first).locator("#assign-select")).to_have_value(str(cast.users["anna"]))
    expect(count(page, "mine")).to_have_text("1", timeout=LIVE_MS)

    # A label: a chip in the pane, on the list item and in the sidebar's count.
    pane(page, first).locator("#label-select").select_option("storing")
    expect(pane(page, first).locator(".labels-bar .label")).to_have_text(["storing"])
    expect(item(page, first).locator(".label")).to_have_text(["storing"], timeout=LIVE_MS)
    expect(count(page, "label:storing")).to_have_text("1", timeout=LIVE_MS)

    # Priority: urgent shows on the list item.
    pane(page, first).locator("select[name=priority]").select_option("urgent")
    expect(pane(page, first).locator("select[name=priority]")).to_have_value("urgent")
    expect(item(page, first).locator(".prio")).to_have_text("Urgent", timeout=LIVE_MS)

    # Snooze for an hour: gone from the open list, counted under Snoozed.
    pane(page, first).locator("#snooze-menu summary").click()
    pane(page, first).get_by_role("button", name="1 hour").click()
    expect(pane(page, first).locator(".conv-sub")).to_contain_text(re.compile(r"Snoozed\s+until"))
    expect(item(page, first)).to_have_count(0, timeout=LIVE_MS)
    expect(count(page, "snoozed")).to_have_text("1", timeout=LIVE_MS)
    expect(count(page, "open")).to_have_text("2", timeout=LIVE_MS)

    # "e" resolves the open conversation.
    item(page, second).locator(".item-link").click()
    expect(pane(page, second)).to_be_visible()
    page.keyboard.press("e")
    expect(pane(page, second).locator(".conv-sub .status")).to_have_text("Resolved")
    expect(item(page, second)).to_have_count(0, timeout=LIVE_MS)
    expect(count(page, "resolved")).to_have_text("1", timeout=LIVE_MS)

    # The last one: snoozed until the customer writes again, then resolved with the button.
    item(page, third).locator(".item-link").click()
    pane(page, third).locator("#snooze-menu summary").click()
    pane(page, third).get_by_role("button", name="Until the customer replies").click()
    expect(pane(page, third).locator(".conv-sub")).to_contain_text("until the customer replies")
    expect(count(page, "snoozed")).to_have_text("2", timeout=LIVE_MS)
    pane(page, third).get_by_role("button", name="Resolve", exact=True).click()
    expect(pane(page, third).locator(".conv-sub .status")).to_have_text("Resolved")
    expect(count(page, "resolved")).to_have_text("2", timeout=LIVE_MS)
    expect(count(page, "open")).to_have_text("0", timeout=LIVE_MS)
    expect(page.locator("#list .item")).to_have_count(0, timeout=LIVE_MS)
    expect(page.locator("#list")).to_contain_text("Nothing here")
    assert_not_reloaded(page)


# 4, 6. Two agents: a mention, presence, the collision guard ---------------------------------


def test_two_agents_mention_each_other_see_each_other_and_never_answer_twice_by_accident(
    new_context: NewContext, runtime: Runtime, cast: Cast, customers: Customers
) -> None:
    conversation = customers.write("m1", "Is er een storing in Zwolle?")
    speaks(runtime, "anna", "en")
    speaks(runtime, "lars", "en")
    anna = new_context().new_page()
    lars = new_context().new_page()
    login(anna, "anna")
    login(lars, "lars")
    open_live(lars, "/inbox")
    with anna.expect_response(lambda r: r.url.endswith(f"/inbox/c/{conversation}/presence")):
        open_live(anna, f"/inbox/c/{conversation}")
    expect(lars.locator("#unread")).to_be_hidden()

    # Lars opens the conversation too: each sees the other there.
    item(lars, conversation).locator(".item-link").click()
    expect(pane(lars, conversation).locator(".presence")).to_have_text("Anna de Vries is viewing")
    expect(pane(anna, conversation).locator(".presence")).to_have_text(
        "Lars Bakker is viewing", timeout=LIVE_MS
    )

    # Anna asks Lars in an internal note ("n" opens the note tab); he sees her typing.
    anna.keyboard.press("n")
    note = anna.locator("#note-text")
    expect(note).to_be_focused()
    note.press_sequentially("@lars weet jij ")
    expect(pane(lars, conversation).locator(".presence")).to_have_text(
        "Anna de Vries is typing…", timeout=LIVE_MS
    )
    note.press_sequentially("of er in Zwolle iets speelt?")
    anna.get_by_role("button", name="Add note").click()
    added = pane(anna, conversation).locator("#thread .note")
    expect(added).to_contain_text("@lars weet jij of er in Zwolle iets speelt?")
    expect(added.locator(".mentions")).to_have_text("Notified: Lars Bakker")

    # Lars hears of it at once: a toast and the bell's count, without a reload. The note
    # shows up in his thread, and Anna no longer shows as typing once she added it.
    expect(lars.locator("#toasts")).to_contain_text("You were mentioned in a note", timeout=LIVE_MS)
    expect(lars.locator("#unread")).to_have_text("1")
    expect(lars.locator("#thread .note")).to_contain_text("iets speelt?", timeout=LIVE_MS)
    expect(pane(lars, conversation).locator(".presence")).to_have_text(
        "Anna de Vries is viewing", timeout=LIVE_MS
    )
    assert_not_reloaded(lars)

    # Lars starts typing: Anna sees it.
    lars.locator("#reply-text").press_sequentially("Ja, we werken eraan.")
    expect(pane(anna, conversation).locator(".presence")).to_have_text(
        "Lars Bakker is typing…", timeout=LIVE_MS
    )

    # Lars sends first. Anna, who had the conversation open since before, sends hers:
    # she is warned with what Lars wrote, and nothing of hers goes out yet.
    send_button(lars).click()
    expect(lars.locator("#thread .msg.outbound")).to_contain_text("Ja, we werken eraan. ^LB")
    expect(anna.locator("#thread .msg.outbound")).to_contain_text("Ja, we", timeout=LIVE_MS)
    expect(pane(anna, conversation).locator(".presence")).to_have_text(
        "Lars Bakker is viewing", timeout=LIVE_MS
    )
    anna.locator("#reply-text").fill("Nee hoor, alles werkt.")
    send_button(anna).click()
    warning = anna.locator(f"#collision-{conversation} .collision")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("A colleague already replied")
    expect(warning.locator("blockquote")).to_contain_text("Lars Bakker: Ja, we werken eraan. ^LB")
    expect(anna.locator("#reply-text")).to_have_value("Nee hoor, alles werkt.")
    assert replies(runtime, conversation) == ["Ja, we werken eraan. ^LB"]

    # Only her explicit "Send anyway" sends it, once.
    warning.get_by_role("button", name="Send anyway").click()
    expect(anna.locator("#thread .msg.outbound")).to_have_count(2)
    expect(anna.locator("#thread .msg.outbound").last).to_contain_text("Nee hoor, alles werkt. ^AV")
    expect(anna.locator(".collision")).to_have_count(0)
    assert replies(runtime, conversation) == [
        "Ja, we werken eraan. ^LB",
        "Nee hoor, alles werkt. ^AV",
    ]
    # Lars sees Anna's reply arrive in his open conversation.
    expect(lars.locator("#thread .msg.outbound")).to_have_count(2, timeout=LIVE_MS)
    assert_not_reloaded(anna)
    assert_not_reloaded(lars)


# 7. Customers write while Anna works ----------------------------------------------------------


def test_new_customer_messages_appear_live_without_touching_a_half_written_reply(
    new_context: NewContext, runtime: Runtime, customers: Customers
) -> None:
    conversation = customers.write("m1", "Mijn modem knippert rood", author="sophie")
    speaks(runtime, "anna", "en")
    page = new_context().new_page()
    login(page, "anna")
    open_live(page, f"/inbox/c/{conversation}")
    expect(page.locator("#list .item")).to_have_count(1)
    expect(count(page, "open")).to_have_text("1")
    composer = page.locator("#reply-text")
    composer.press_sequentially("Heeft u de modem al eens opnieuw")

    # Someone else writes in: a new conversation in the list, and the counts go up.
    other = customers.write("m2", "Wanneer is de storing voorbij?", author="jan", name="Jan Smit")
    expect(item(page, other)).to_contain_text("Wanneer is de storing voorbij?", timeout=LIVE_MS)
    expect(item(page, other)).to_contain_text("Jan Smit")
    expect(page.locator("#list .total")).to_have_text("2 conversations")
    expect(count(page, "open")).to_have_text("2", timeout=LIVE_MS)

    # Sophie adds to the conversation Anna has open: it appears in her thread, while her
    # half-written reply, its counter and the focus stay where they were.
    customers.write("m3", "Hij knippert nu ook oranje!", author="sophie")
    thread = pane(page, conversation).locator("#thread .msg.inbound")
    expect(thread).to_have_count(2, timeout=LIVE_MS)
    expect(thread.last).to_contain_text("Hij knippert nu ook oranje!")
    expect(item(page, conversation)).to_contain_text("Hij knippert nu ook oranje!", timeout=LIVE_MS)
    expect(composer).to_have_value("Heeft u de modem al eens opnieuw")
    expect(composer).to_be_focused()
    composer.press_sequentially(" opgestart?")
    expect(composer).to_have_value("Heeft u de modem al eens opnieuw opgestart?")
    expect(page.locator("#reply-form [data-count]")).to_have_text(
        str(len("Heeft u de modem al eens opnieuw opgestart?") + len(" ^AV"))
    )
    assert_not_reloaded(page)
    # What came in meanwhile is the customer's, not a colleague's: her reply just goes.
    send_button(page).click()
    expect(pane(page, conversation).locator("#thread .msg.outbound")).to_contain_text(
        "Heeft u de modem al eens opnieuw opgestart? ^AV"
    )
    expect(page.locator(".collision")).to_have_count(0)


# 9. On a phone ---------------------------------------------------------------------------------


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: the page is {width}px wide on a phone"
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_on_a_phone_anna_goes_from_the_list_to_a_conversation_and_back(
    new_context: NewContext, runtime: Runtime, customers: Customers
) -> None:
    conversation = customers.write(
        "m1",
        "Mijn internet valt steeds weg, al sinds https://glasnet.example/storingen/"
        "zwolle-zuid-en-omstreken-met-een-heel-lange-url-die-niet-mag-uitsteken",
        author="sophie",
    )
    for n in range(2, 6):
        customers.write(f"m{n}", f"Het is nu weer mis, keer {n}. " * 8, author="sophie")
    speaks(runtime, "anna", "en")
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    login(page, "anna")
    open_live(page, "/inbox")

    # The list, alone on the screen.
    expect(item(page, conversation)).to_be_visible()
    expect(page.locator(".conversation-pane")).to_be_hidden()
    assert_fits_the_phone(page)

    # Tap: the conversation, alone, with the composer on the screen.
    item(page, conversation).locator(".item-link").tap()
    expect(pane(page, conversation)).to_be_visible()
    expect(page.locator(".list-pane")).to_be_hidden()
    expect(pane(page, conversation).locator("#thread")).to_contain_text("keer 5")
    expect(page.locator("#reply-text")).to_be_in_viewport()
    expect(send_button(page)).to_be_in_viewport()
    assert_fits_the_phone(page)

    # "← Inbox" leads back to the list.
    pane(page, conversation).get_by_role("link", name="← Inbox").tap()
    expect(page).to_have_url(re.compile(r"/inbox(\?.*)?$"))
    expect(item(page, conversation)).to_be_visible()
    expect(page.locator(".conversation-pane")).to_be_hidden()
    assert_fits_the_phone(page)


# 10. In Dutch ----------------------------------------------------------------------------------


def test_the_ui_speaks_the_users_language_not_the_browsers(
    new_context: NewContext, runtime: Runtime, customers: Customers
) -> None:
    conversation = customers.write("m1", "Mijn factuur is te hoog")
    speaks(runtime, "anna", "nl")
    page = new_context(locale="en-US").new_page()
    login(page, "anna")
    page.goto(f"/inbox/c/{conversation}")

    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#nav")).to_contain_text("Van mij")
    expect(page.locator("#nav")).to_contain_text("Alle open")
    expect(pane(page, conversation).get_by_role("button", name="Afhandelen")).to_be_visible()
    send = page.locator("#reply-form button[type=submit]")
    expect(send).to_have_text("Versturen")
    page.locator("#reply-text").fill("We zoeken het uit.")
    send.click()
    expect(page.locator("#thread .msg.outbound .delivery")).to_have_text("Wordt verstuurd…")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


# 11. Hostile customers -------------------------------------------------------------------------

HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script>'


def test_a_message_full_of_html_is_shown_as_text_and_never_runs(
    new_context: NewContext, runtime: Runtime, customers: Customers
) -> None:
    conversation = customers.write(
        "m1", HOSTILE_TEXT, name='<img src=x onerror="window.__pwned=1">'
    )
    speaks(runtime, "anna", "en")
    page = new_context().new_page()
    login(page, "anna")
    open_live(page, "/inbox")

    expect(item(page, conversation).locator(".preview")).to_have_text(HOSTILE_TEXT)
    item(page, conversation).locator(".item-link").click()
    expect(pane(page, conversation).locator("#thread .msg-text")).to_have_text(HOSTILE_TEXT)
    expect(pane(page, conversation).locator("h1")).to_have_text(
        '<img src=x onerror="window.__pwned=1">'
    )
    # A live refresh of list and conversation renders it again, just as safely.
    customers.write("m2", HOSTILE_TEXT + " (nog een keer)")
    expect(pane(page, conversation).locator("#thread .msg-text")).to_have_count(2, timeout=LIVE_MS)
    expect(item(page, conversation).locator(".preview")).to_contain_text(
        "(nog een keer)", timeout=LIVE_MS
    )
    page.goto("/inbox")
    expect(item(page, conversation)).to_be_visible()

    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
