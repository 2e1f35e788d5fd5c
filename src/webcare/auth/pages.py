"""The plain login page (the agent UI itself lives in :mod:`webcare.web`).

Rendered with f-strings; every value that comes from a user or the database goes through
:func:`html.escape`. The password is never passed in, so it can never be echoed back.
"""

from __future__ import annotations

from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}"
    "label{display:block;margin-top:.75rem}input{width:100%;padding:.4rem;box-sizing:border-box}"
    "button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00;font-weight:600}"
)


def login_page(
    *, error: str | None = None, username: str = "", workspace: str = "", next_path: str = ""
) -> str:
    """The login form, optionally with an error and the username and workspace re-filled."""
    error_html = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""<h1>webcare</h1>
{error_html}
<form method="post" action="/login">
  <input type="hidden" name="next" value="{escape(next_path)}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required
         value="{escape(username)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <label for="workspace">Workspace (optional)</label>
  <input id="workspace" name="workspace" value="{escape(workspace)}">
  <button type="submit">Log in</button>
</form>"""
    return _document("Log in - webcare", body)


def _document(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body>
{body}
</body>
</html>
"""
