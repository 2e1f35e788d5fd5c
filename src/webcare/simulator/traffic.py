"""The simulator's side of ``webcare demo``: it plays the customers of ``demo/data/traffic.json``.

Each turn reaches webcare the way the platform would deliver it: X Account Activity, Meta's
Page/Instagram webhooks and WhatsApp's Cloud API webhook are POSTed and signed by the platform
modules' ``deliver_*`` helpers to the account's webhook URL; a Google review is published on the
simulated location and webcare's poll job finds it, and so does a customer's e-mail in the
simulated INBOX (``simulator/mail.py``), whose SMTP sink takes Glasnet's answers. Every
delivered turn is remembered for the customer view (``customer_view.record_delivered``).
Between turns the simulated WhatsApp
reports Glasnet's messages delivered and then read, as a customer's phone would.

This lives in the simulator package, not in ``demo/``, because it needs the platform modules
(which are FastAPI routers, and ``demo`` may not import the web framework); ``demo/traffic.py``
decides what comes next and stays free of them. ``simulator/serving.py`` runs it all.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime

import httpx

from webcare.demo import simulated
from webcare.demo.traffic import TrafficItem, TryLater
from webcare.simulator import customer_view, mail
from webcare.simulator.customer_view import Delivered
from webcare.simulator.platforms import google, meta, whatsapp, x
from webcare.simulator.state import SimState

_WA_MESSAGE_KINDS = frozenset({"text", "template"})
#: What a customer's phone reports next for one of Glasnet's WhatsApp messages, per tick.
_NEXT_STATUSES: dict[str | None, tuple[str, ...]] = {
    None: ("sent", "delivered"),
    "sent": ("delivered",),
    "delivered": ("read",),
}


class DeliveryRefused(Exception):
    """webcare answered a delivery with an error status (the platform would retry later)."""


def configure_state(state: SimState) -> None:
    """Make the simulator expect the demo accounts' credentials and know Glasnet's ids."""
    state.platform_data("x").update(
        access_token=simulated.X_ACCESS_TOKEN,
        me={"id": simulated.X_USER_ID, "name": "Glasnet", "username": simulated.X_USERNAME},
    )
    state.platform_data("meta").update(
        page_access_token=simulated.META_PAGE_TOKEN,
        page_id=simulated.PAGE_ID,
        ig_user_ids={simulated.IG_USER_ID},
        ig_username=simulated.IG_USERNAME,
    )
    state.platform_data("whatsapp").update(access_token=simulated.WA_ACCESS_TOKEN)
    state.platform_data("google").update(access_token=simulated.GOOGLE_ACCESS_TOKEN)
    google.add_location(state, simulated.GOOGLE_LOCATION)
    mail.configure_mailbox(state, username=mail.DEMO_USERNAME, password=mail.DEMO_PASSWORD)


class SimulatedTraffic:
    """A :class:`~webcare.demo.traffic.TrafficChannel` that delivers through the simulator.

    ``webhooks`` maps a platform (cast key) to the account's webhook URL in webcare.
    Message ids carry the start time, so a restarted demo never repeats an id webcare stored.
    """

    def __init__(self, state: SimState, client: httpx.Client, webhooks: dict[str, str]) -> None:
        self.state = state
        self._client = client
        self.webhooks = webhooks
        self._ids = itertools.count(int(time.time() * 1000) * 1000)
        self._lock = threading.Lock()

    # --- TrafficChannel ---------------------------------------------------------------------

    def deliver(self, item: TrafficItem) -> None:
        """Deliver one turn; :class:`TryLater` when webcare cannot be reached."""
        handler = {
            ("x", "mention"): self._x_mention,
            ("x", "dm"): self._x_dm,
            ("facebook", "comment"): self._facebook_comment,
            ("facebook", "message"): self._messenger,
            ("instagram", "comment"): self._instagram_comment,
            ("instagram", "dm"): self._instagram_dm,
            ("whatsapp", "message"): self._whatsapp,
            ("google_reviews", "review"): self._review,
            ("email", "email"): self._email,
        }[(item.thread.platform, item.thread.kind)]
        try:
            handler(item)
        except httpx.TransportError as exc:
            raise TryLater(exc.__class__.__name__) from exc

    def answered(self, item: TrafficItem) -> bool:
        thread = self._thread(item)
        if not thread:
            return False
        view = customer_view.platform_view(self.state, item.thread.platform)
        for shown in view.threads:
            if shown.key == item.thread_id:
                last = max(d.at for d in thread)
                return any(e.by == "brand" and e.at >= last for e in shown.entries)
        return False

    def housekeeping(self) -> None:
        """WhatsApp's delivery reports: new messages delivered now, delivered ones read now."""
        url = self.webhooks.get("whatsapp")
        if url is None:
            return
        known = customer_view.statuses(self.state)
        for sent in self.state.sent("whatsapp"):
            if sent.kind not in _WA_MESSAGE_KINDS or not sent.recipient:
                continue
            current = known.get(sent.external_id)
            steps = _NEXT_STATUSES.get(current, ())
            for status in steps:
                self._check(
                    whatsapp.deliver_status(
                        self._client,
                        url,
                        simulated.WA_APP_SECRET,
                        message_id=sent.external_id,
                        status=status,
                        recipient_id=sent.recipient,
                        phone_number_id=simulated.WA_PHONE_NUMBER_ID,
                    )
                )
                customer_view.record_status(self.state, sent.external_id, status)

    # --- one handler per kind of traffic ----------------------------------------------------

    def _x_mention(self, item: TrafficItem) -> None:
        parent = None if item.is_first else self._latest_id(item)
        tweet_id = self._new_id("19")
        self._check(
            x.deliver_mention(
                self._client,
                self._url(item),
                simulated.X_CONSUMER_SECRET,
                for_user_id=simulated.X_USER_ID,
                text=item.turn.text,
                author=self._author(item),
                tweet_id=tweet_id,
                in_reply_to=parent,
            )
        )
        self._record(item, tweet_id, parent_id=parent)

    def _x_dm(self, item: TrafficItem) -> None:
        event_id = self._new_id("19")
        self._check(
            x.deliver_dm(
                self._client,
                self._url(item),
                simulated.X_CONSUMER_SECRET,
                for_user_id=simulated.X_USER_ID,
                text=item.turn.text,
                author=self._author(item),
                event_id=event_id,
            )
        )
        self._record(item, event_id)

    def _facebook_comment(self, item: TrafficItem) -> None:
        post = item.thread.post
        assert post is not None  # load_traffic checks comments have a post
        post_id = f"{simulated.PAGE_ID}_{post.id}"
        comment_id = f"{post.id}_{self._new_id('')}"
        parent = None if item.is_first else self._first_id(item)
        self._check(
            meta.deliver_facebook_comment(
                self._client,
                self._url(item),
                simulated.META_APP_SECRET,
                page_id=simulated.PAGE_ID,
                post_id=post_id,
                comment_id=comment_id,
                author_id=item.thread.customer.id,
                author_name=item.thread.customer.name,
                text=item.turn.text,
                parent_id=parent,
            )
        )
        self._record(item, comment_id, parent_id=parent)

    def _messenger(self, item: TrafficItem) -> None:
        mid = f"m_{self._new_id('')}"
        self._check(
            meta.deliver_messenger_message(
                self._client,
                self._url(item),
                simulated.META_APP_SECRET,
                page_id=simulated.PAGE_ID,
                sender_id=item.thread.customer.id,
                mid=mid,
                text=item.turn.text,
            )
        )
        self._record(item, mid)

    def _instagram_comment(self, item: TrafficItem) -> None:
        post = item.thread.post
        assert post is not None  # load_traffic checks comments have a post
        comment_id = self._new_id("18")
        parent = None if item.is_first else self._first_id(item)
        self._check(
            meta.deliver_instagram_comment(
                self._client,
                self._url(item),
                simulated.META_APP_SECRET,
                ig_user_id=simulated.IG_USER_ID,
                media_id=post.id,
                comment_id=comment_id,
                author_id=item.thread.customer.id,
                username=item.thread.customer.handle or item.thread.customer.name,
                text=item.turn.text,
                parent_id=parent,
            )
        )
        self._record(item, comment_id, parent_id=parent)

    def _instagram_dm(self, item: TrafficItem) -> None:
        mid = f"aWdfZAemo{self._new_id('')}"
        self._check(
            meta.deliver_instagram_dm(
                self._client,
                self._url(item),
                simulated.META_APP_SECRET,
                ig_user_id=simulated.IG_USER_ID,
                sender_id=item.thread.customer.id,
                mid=mid,
                text=item.turn.text,
            )
        )
        self._record(item, mid)

    def _whatsapp(self, item: TrafficItem) -> None:
        wamid = f"wamid.DEMO{self._new_id('')}"
        self._check(
            whatsapp.deliver_message(
                self._client,
                self._url(item),
                simulated.WA_APP_SECRET,
                self.state,
                wa_id=item.thread.customer.id,
                text=item.turn.text,
                name=item.thread.customer.name,
                message_id=wamid,
                phone_number_id=simulated.WA_PHONE_NUMBER_ID,
            )
        )
        self._record(item, wamid)

    def _review(self, item: TrafficItem) -> None:
        """Published on the location; webcare's poll job brings it (or the edit) in."""
        stars = item.turn.stars or 5
        if item.is_first:
            review = google.add_review(
                self.state,
                simulated.GOOGLE_LOCATION,
                reviewer=item.thread.customer.name,
                stars=stars,
                comment=item.turn.text,
                review_id=f"AbFvOqDemo{self._new_id('')}",
            )
            self._record(item, str(review["name"]))
            return
        name = self._first_id(item)
        google.update_review(self.state, name, comment=item.turn.text, stars=stars)
        self._record(item, name, edit=True)

    def _email(self, item: TrafficItem) -> None:
        """Put in the simulated INBOX; webcare's IMAP poll brings it in. A follow-up answers
        Glasnet's latest reply (``In-Reply-To``) and names the whole thread (``References``)."""
        thread = item.thread
        address = thread.customer.handle or thread.customer.id
        message_id = f"<demo{self._new_id('')}@{address.rsplit('@', 1)[-1]}>"
        parent = None if item.is_first else self._latest_id(item)
        references = [d.external_id for d in self._thread(item)]
        if parent is not None and parent not in references:
            references.append(parent)
        subject = thread.subject or "Vraag aan Glasnet"
        raw = mail.compose(
            sender=(thread.customer.name, address),
            to=mail.DEMO_USERNAME,
            subject=subject if item.is_first else f"Re: {subject}",
            text=item.turn.text,
            message_id=message_id,
            in_reply_to=parent,
            references=references,
        )
        mail.deliver_mail(self.state, raw)
        self._record(item, message_id, parent_id=parent)

    # --- plumbing ---------------------------------------------------------------------------

    def _url(self, item: TrafficItem) -> str:
        url = self.webhooks.get(item.thread.platform)
        if url is None:
            raise DeliveryRefused(f"no {item.thread.platform} account to deliver to")
        return url

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids)}"

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code >= 300:
            raise DeliveryRefused(f"webcare answered {response.status_code}")

    @staticmethod
    def _author(item: TrafficItem) -> dict[str, object]:
        customer = item.thread.customer
        return {
            "id": customer.id,
            "username": customer.handle or customer.id,
            "name": customer.name,
            "followers_count": customer.followers,
        }

    def _thread(self, item: TrafficItem) -> list[Delivered]:
        return [
            d
            for d in customer_view.delivered(self.state, item.thread.platform)
            if d.thread == item.thread_id
        ]

    def _first_id(self, item: TrafficItem) -> str:
        return self._thread(item)[0].external_id

    def _latest_id(self, item: TrafficItem) -> str:
        """What a customer's next public post answers: Glasnet's latest reply, else their own."""
        view = customer_view.platform_view(self.state, item.thread.platform)
        for shown in view.threads:
            if shown.key == item.thread_id and shown.entries:
                return shown.entries[-1].external_id
        return self._thread(item)[-1].external_id

    def _record(
        self,
        item: TrafficItem,
        external_id: str,
        *,
        parent_id: str | None = None,
        edit: bool = False,
    ) -> None:
        thread = item.thread
        customer_view.record_delivered(
            self.state,
            Delivered(
                platform=thread.platform,
                thread=item.thread_id,
                kind=thread.kind,
                customer_id=thread.customer.id,
                customer_name=thread.customer.name,
                external_id=external_id,
                text=item.turn.text,
                stars=item.turn.stars,
                parent_id=parent_id,
                post_text=thread.post.text if thread.post else thread.subject,
                edit=edit,
                at=datetime.now(UTC),
            ),
        )
