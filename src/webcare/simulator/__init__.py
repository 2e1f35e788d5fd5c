"""Local stand-ins for the platforms' APIs (X, Meta, WhatsApp, Google Business Profile).

The real platforms cannot be reached from development machines or CI, so each connector is
proven against a simulator that speaks the part of the platform's public API we use: the same
paths, request bodies, response shapes and error codes as the documentation. The simulator also
plays the customer: it delivers signed webhooks to webcare, and its customer view shows what a
customer sees after an agent replies. It is a test double and a demo prop, never production.
"""
