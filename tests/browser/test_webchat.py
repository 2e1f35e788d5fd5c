"""The chat widget on the demo shop page, with Anna answering from the inbox.

Two browsers, like two people: a visitor on "Glasnet webshop" (``/widget-demo``) and Anna in
the inbox. The widget's reply arrives over its own live stream, without a reload; text from
either side is shown as text, never run as markup.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.conftest import drain_jobs
from webcare.auth.models import User
from webcare.channel.models import ChannelAccount
from webcare.contact.models import Contact
from webcare.conversation.models import Conversation
from webcare.demo.cast import Cast
from webcare.kit.db import unit_of_work
from webcare.runtime import Runtime

from .conftest import NewContext, login

LIVE_MS = 10_000
HOSTILE = '<img src=x onerror="window.__pwned = 1">'


def widget_availability(runtime: Runtime, cast: Cast, availability: str) -> None:
    with unit_of_work(runtime.session_factory) as session:
        account = session.get(ChannelAccount, cast.accounts["webchat"].id)
        assert account is not None
        account.settings = {**account.settings, "availability": availability}


def webchat_conversation(runtime: Runtime, cast: Cast) -> int:
    with runtime.session_factory() as session:
        found = session.scalar(
            sa.select(Conversation.id).where(
                Conversation.channel_account_id == cast.accounts["webchat"].id
            )
        )
        assert found is not None, "the visitor's message did not reach the inbox"
        return int(found)


def open_shop(page: Page) -> None:
    """The demo shop, with the widget's panel open and its live stream connected."""
    # A returning visitor's widget connects on load, a new one's when opened: either way
    # the stream has answered before the test goes on.
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith("/stream")):
        page.goto("/widget-demo")
        expect(page.get_by_role("heading", name="Glasnet webshop")).to_be_visible()
        page.get_by_role("button", name="Chat with us").click()
    page.evaluate("window.__stillTheSamePage = true")


def test_a_visitor_chats_and_annas_reply_appears_live_in_the_widget(
    new_context: NewContext, runtime: Runtime, cast: Cast
) -> None:
    widget_availability(runtime, cast, "online")
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(User).where(User.username == "anna").values(locale="en"))

    shop = new_context().new_page()
    open_shop(shop)
    panel = shop.get_by_role("dialog", name="Chat with us")
    expect(panel).to_contain_text("Hi! How can we help you?")
    expect(panel).to_contain_text("We are online")

    composer = panel.get_by_placeholder("Type your message…")
    composer.fill("Mijn glasvezel doet het niet " + HOSTILE)
    composer.press("Enter")
    mine = panel.locator(".msg.visitor:not(.pending)")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Mijn glasvezel doet het niet " + HOSTILE)

    # Anna, in her own browser, finds the chat in the inbox and answers it.
    conversation = webchat_conversation(runtime, cast)
    inbox = new_context().new_page()
    login(inbox, "anna")
    inbox.goto(f"/inbox/c/{conversation}")
    thread = inbox.locator("#thread .msg.inbound")
    expect(thread).to_contain_text("Mijn glasvezel doet het niet " + HOSTILE)
    inbox.locator("#reply-text").fill("Wat vervelend! <b>We</b> kijken het direct na.")
    inbox.locator("#reply-form").get_by_role("button", name="Send", exact=True).click()
    expect(inbox.locator("#thread .msg.outbound")).to_have_count(1)

    # The send job marks it sent; the widget shows it without a reload, as text.
    drain_jobs(runtime)
    reply = panel.locator(".msg.agent:not(.greeting)")
    expect(reply).to_contain_text("Wat vervelend! <b>We</b> kijken het direct na.", timeout=LIVE_MS)
    expect(reply.locator(".who")).to_have_text("Anna")
    assert shop.evaluate("window.__stillTheSamePage === true"), "the shop page was reloaded"
    assert shop.evaluate("window.__pwned === undefined"), "the visitor's text ran as HTML"
    assert inbox.evaluate("window.__pwned === undefined"), "the visitor's text ran in the inbox"
    expect(panel.locator("img")).to_have_count(0)
    expect(panel.locator("b")).to_have_count(0)

    # A returning visitor (same browser, new page view) sees the whole conversation again.
    again = shop.context.new_page()
    open_shop(again)
    panel_again = again.get_by_role("dialog", name="Chat with us")
    expect(panel_again.locator(".msg.visitor")).to_have_count(1)
    expect(panel_again.locator(".msg.agent:not(.greeting)")).to_contain_text("Wat vervelend!")


def test_an_offline_widget_takes_an_email_address_instead(
    new_context: NewContext, runtime: Runtime, cast: Cast
) -> None:
    widget_availability(runtime, cast, "offline")
    shop = new_context(locale="nl-NL").new_page()
    shop.goto("/widget-demo")
    shop.get_by_role("button", name="Chat met ons").click()
    panel = shop.get_by_role("dialog", name="Chat met ons")
    expect(panel).to_contain_text("Laat je e-mailadres achter")
    expect(panel.get_by_placeholder("Typ je bericht…")).to_be_hidden()

    panel.get_by_placeholder("Je e-mailadres").fill("sophie@example")
    panel.get_by_placeholder("Je vraag").fill("Kan ik mijn abonnement pauzeren?")
    panel.get_by_role("button", name="Verstuur").click()
    expect(panel.get_by_role("alert")).to_contain_text("not an e-mail address")

    panel.get_by_placeholder("Je e-mailadres").fill("sophie@example.nl")
    panel.get_by_role("button", name="Verstuur").click()
    expect(panel).to_contain_text("We mailen je zo snel mogelijk")
    expect(panel.locator(".msg.visitor")).to_contain_text("Kan ik mijn abonnement pauzeren?")
    with runtime.session_factory() as session:
        emails = list(session.scalars(sa.select(Contact.attributes)))
    assert [a.get("email") for a in emails if a.get("email")] == ["sophie@example.nl"]
