"""The agent UI: server-rendered pages (Jinja2), htmx for partial updates, SSE for live ones.

See docs/decisions/0008-server-rendered-ui.md. Pages call the same services as the REST API;
nothing here holds state between requests.
"""
