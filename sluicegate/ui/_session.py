"""The UI's session: the sign-in cookie, the per-session CSRF secret, same-origin checks and one-shot notices.

Called by the page handlers (`_pages`) and the action handlers (`_actions`). Signing in stores the stack's
token in an HttpOnly, SameSite=Strict cookie named after the port (`sluice_token_<port>`, so two stacks on
one host keep their own) and a random per-session secret in a second cookie. Every form that changes
something carries `csrf_field`, an HMAC of that secret under the token: a page of another site can neither
read the cookie nor compute the field, and a POST also has to come from the UI's own origin (`Origin`, or
`Referer` when a browser sends no `Origin`). The outcome of an action is shown once on the page it returns
to, through a short-lived notice cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "Notice",
    "check_same_origin",
    "clear_notice",
    "cookie_name",
    "csrf_matches",
    "csrf_secret",
    "csrf_token",
    "ensure_csrf_cookie",
    "new_secret",
    "read_notice",
    "set_notice",
    "signed_in",
]

#: The sign-in cookie's name prefix; the full name carries the API's port (`cookie_name`).
COOKIE = "sluice_token"
#: The form field (and `X-CSRF-Token` header) that carries the CSRF token.
CSRF_FIELD = "csrf"
_CSRF_COOKIE = "sluice_csrf"
_NOTICE_COOKIE = "sluice_notice"
#: A notice is shown once, on the page the action redirects to; after a minute it is gone anyway.
_NOTICE_SECONDS = 60

Notice = tuple[bool, str]


def _port(request: Request) -> int:
    server = request.scope.get("server") or ("", 0)
    return int(server[1] or 0)


def cookie_name(request: Request) -> str:
    """`sluice_token_<port>`: one cookie per stack, since browsers share cookies across ports of a host."""
    return f"{COOKIE}_{_port(request)}"


def _cookie(request: Request, prefix: str) -> str:
    return f"{prefix}_{_port(request)}"


def signed_in(request: Request, token: str) -> bool:
    """Whether the request carries this stack's token in its sign-in cookie."""
    given = request.cookies.get(cookie_name(request), "")
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def csrf_secret(request: Request) -> str:
    """This browser session's CSRF secret ("" before the UI set one)."""
    return request.cookies.get(_cookie(request, _CSRF_COOKIE), "")


def ensure_csrf_cookie(request: Request, response: Response, secret: str) -> None:
    """Set the session's CSRF secret cookie when the request did not carry `secret` already."""
    if csrf_secret(request) != secret:
        response.set_cookie(_cookie(request, _CSRF_COOKIE), secret, httponly=True, samesite="strict", path="/ui")


def new_secret() -> str:
    """A fresh per-session CSRF secret."""
    return secrets.token_urlsafe(24)


def csrf_token(token: str, secret: str) -> str:
    """The value forms carry: HMAC-SHA256 of the session secret under the stack's token."""
    return hmac.new(token.encode(), f"csrf:{secret}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(request: Request, token: str, given: str) -> bool:
    """Whether `given` is this session's CSRF token."""
    secret = csrf_secret(request)
    return bool(secret and given) and hmac.compare_digest(given.encode(), csrf_token(token, secret).encode())


def check_same_origin(request: Request) -> str:
    """Why the request does not come from the UI's own origin ("" when it does)."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer", "")
        if not referer:
            return "the request names no Origin or Referer; send it from the UI's own page"
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        return f"cross-origin request from {origin!r} refused: actions are accepted only from the UI's own pages"
    return ""


def set_notice(request: Request, response: Response, ok: bool, text: str) -> None:
    """Show `text` once on the next page (success or failure)."""
    value = quote(json.dumps([ok, text[:500]]), safe="")
    response.set_cookie(
        _cookie(request, _NOTICE_COOKIE), value, max_age=_NOTICE_SECONDS, httponly=True, samesite="strict", path="/ui"
    )


def read_notice(request: Request) -> Notice | None:
    """The pending notice, if any (`clear_notice` forgets it once shown)."""
    raw = request.cookies.get(_cookie(request, _NOTICE_COOKIE))
    if not raw:
        return None
    try:
        ok, text = json.loads(unquote(raw))
    except (ValueError, TypeError):
        return None
    return bool(ok), str(text)


def clear_notice(request: Request, response: Response) -> None:
    """Forget the notice the request carried (it has been shown)."""
    if request.cookies.get(_cookie(request, _NOTICE_COOKIE)):
        response.delete_cookie(_cookie(request, _NOTICE_COOKIE), path="/ui", httponly=True, samesite="strict")
