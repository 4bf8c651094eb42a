"""What keeps other web pages out of the dashboard, whose server holds the credentials.

The server binds 127.0.0.1 only, so only this machine reaches it; but every page open in
the browser runs on this machine too. Three layers stop such a page:

- **Host check** (DNS rebinding): a page on ``evil.example`` whose name is made to resolve
  to 127.0.0.1 reaches the server as same-origin, but its requests carry
  ``Host: evil.example``. Flask's ``TRUSTED_HOSTS`` refuses any name but the loopback ones
  on every request (``SecurityError``, answered 400 ``host_not_allowed``).
- **CSRF token**: a foreign page can still *send* a request (a form POST needs no
  preflight) but cannot *read* our pages (same-origin policy), so it cannot learn the
  token. Every state-changing request must carry it in ``X-CSRF-Token``; a custom header
  also forces a CORS preflight, which the server never grants.
- **Headers**: a strict Content-Security-Policy (scripts from this origin only, no inline
  script or style, no framing, Trusted Types so that no string ever becomes HTML),
  ``nosniff``, no referrer, and ``no-store`` for pages and data.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Request, Response, request

from .errors import DashboardError

CSRF_HEADER = "X-CSRF-Token"
# Names the browser may use for this server. Not [::1]: the server listens on IPv4 only.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        # With no policy allowed, assigning a string to innerHTML (or any HTML sink)
        # throws: record values can only ever become text.
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def new_csrf_token() -> str:
    """A fresh random token; one per server process, given to the pages it serves."""
    return secrets.token_urlsafe(32)


def install(app: Flask, csrf_token: str) -> None:
    """Add the host check, the CSRF check and the security headers to ``app``."""
    app.config["TRUSTED_HOSTS"] = list(LOOPBACK_HOSTS)

    @app.before_request
    def _check_csrf() -> None:
        check_csrf(request, csrf_token)

    @app.after_request
    def _add_headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def check_csrf(incoming: Request, expected: str) -> None:
    """Refuse a state-changing request without the right token.

    Raises:
        DashboardError: 403 ``csrf_token_missing`` or ``csrf_token_invalid``.
    """
    if incoming.method in SAFE_METHODS:
        return
    sent = incoming.headers.get(CSRF_HEADER)
    if not sent:
        raise DashboardError(403, "csrf_token_missing", f"this request needs the {CSRF_HEADER} header of the page")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise DashboardError(403, "csrf_token_invalid", "the CSRF token does not match; reload the page")
