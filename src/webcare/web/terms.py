"""Words the UI shows that come from domain tables rather than templates.

Templates translate them with ``_(value)``; listing them here with ``N_`` puts them in the
catalogue (``make messages`` finds only literal strings), and a test checks every value of
those tables appears here.
"""

from __future__ import annotations

from webcare.web.i18n import N_

#: The connect form's labels and help texts (``channel.connect_forms.FIELDS``).
CONNECT_FIELD_TEXTS = (
    N_("Account user id"),
    N_("The numeric id of the brand account."),
    N_("Consumer secret"),
    N_("Access token"),
    N_("API address"),
    N_("Leave empty for the platform itself; set it to use the local simulator."),
    N_("Page id"),
    N_("Page access token"),
    N_("App secret"),
    N_("Signs the webhooks Meta sends us."),
    N_("Webhook verify token"),
    N_("Made for you when empty; enter it in the app's webhook settings."),
    N_("Instagram account id"),
    N_("Linked Facebook page id"),
    N_("Phone number id"),
    N_("WhatsApp Business account id"),
    N_("Locations"),
    N_("One per line, e.g. accounts/123/locations/456."),
    N_("Address"),
    N_("The mailbox customers write to."),
    N_("IMAP server"),
    N_("IMAP port"),
    N_("IMAP over TLS"),
    N_("SMTP server"),
    N_("SMTP port"),
    N_("SMTP STARTTLS"),
    N_("User name"),
    N_("Password"),
    N_("Allowed sites"),
    N_("One origin per line, e.g. https://shop.example; the widget works only there."),
    N_("Reply URL"),
    N_("Where replies are POSTed as signed JSON."),
)

#: Triage labels as the UI shows them (capitalised).
TRIAGE_LABELS = (
    N_("Positive"),
    N_("Neutral"),
    N_("Negative"),
    N_("Question"),
    N_("Complaint"),
    N_("Compliment"),
    N_("Request"),
    N_("Other"),
    N_("Sentiment"),
    N_("Intent"),
)
