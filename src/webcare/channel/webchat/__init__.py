"""The web chat channel: a widget on a shop's site, talking to the inbox through our database.

One channel account of platform ``webchat`` is one widget. Visitors get a signed anonymous id
(:mod:`.visitor`), post messages through ingestion like any customer, read the visible
messages of their conversations back (catch-up) and hear about new ones over Server-Sent Events
fed by the event bus (:mod:`.live`). Agents' replies need no network: :class:`.sender.WebchatSender`
only acknowledges them, and the ``reply.delivery_changed`` event carries them to the widget.
"""
