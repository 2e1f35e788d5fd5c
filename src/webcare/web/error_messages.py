"""Fixed error messages of the services that agents meet in the UI, marked for translation.

Services raise English messages (the API's language); :mod:`webcare.web.error_pages` looks the
message up in the agent's catalogue before showing it. Only messages without values in them
can be translated this way; the others are shown as the service wrote them.
"""

from __future__ import annotations

from webcare.web.i18n import N_

UI_ERRORS = (
    N_("CSRF token missing or invalid"),
    N_("a number or text in the request is out of range"),
    N_("a note needs text"),
    N_("a reply needs text"),
    N_("a label name needs 1 to 100 characters"),
    N_("choose a label"),
    N_("choose a language"),
    N_("choose a time zone from the list"),
    N_("choose how long to snooze"),
    N_("choose a time in the future"),
    N_("choose what to do with the selected conversations"),
    N_("give the view a name"),
    N_("log in to continue"),
    N_("only workspace admins can change this"),
    N_("viewers can read conversations but not change them"),
    N_("choose a platform to connect"),
    N_("priority must be low, normal, high or urgent"),
    N_("select at least one conversation"),
    N_("snooze until: give a date and time"),
    N_("status must be open, pending, snoozed or resolved"),
    N_("this combination of filters is too long to save"),
    N_("this action needs the 'conversations:write' scope"),
    N_("you cannot deactivate your own account; ask another admin"),
    N_("you cannot take away your own admin rights; ask another admin"),
    N_(
        "a colleague replied after you opened this conversation; read their reply and "
        "send again to confirm"
    ),
)
