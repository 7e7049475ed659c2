"""Response headers (a strict Content-Security-Policy that admits only our files and Stripe's,
HSTS over HTTPS), cookie names, and CSRF that holds over HTTPS without a Referer.

CSRF: every form carries Flask-WTF's token. Flask-WTF's extra HTTPS check demands a Referer
matching the host, but every page sends `Referrer-Policy: no-referrer` (a link token must never
leak through a Referer), so browsers send none and every form would fail. That check is off
(`WTF_CSRF_SSL_STRICT = False`) and `SameOriginCSRF` checks instead what browsers send under
any referrer policy: `Sec-Fetch-Site` must be `same-origin` (or `none`, typed by the user);
without it, an `Origin` other than `null` must be this site's own. A request with neither
(an old browser, a script) is judged by the token alone.
"""

import logging
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_wtf import CSRFProtect

from portal.log_filters import RedactLinkTokens

SAME_SITE_FETCHES = {"same-origin", "none"}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """The policy of the current page: Stripe's origins from the settings, and those of the
    practice's own Stripe account when the page is a practice's that has one."""
    practice = g.get("practice")
    # the practice's own account: Stripe or a stand-in
    own = bool(getattr(practice, "has_own_stripe_account", False))
    config = current_app.config
    return _policy(
        config["STRIPE_JS_URL"],
        config["STRIPE_API_BASE"],
        own,
        practice.stripe_api_base if own else None,
    )


@lru_cache(maxsize=64)
def _policy(js_url: str | None, api_base: str | None, own: bool, own_base: str | None) -> str:
    """The policy for these Stripe settings, written once per process."""
    stripe_js = _origin(js_url) or "https://js.stripe.com"
    stripe_api = _origin(api_base) or "https://api.stripe.com"
    if own:
        base = _origin(own_base)
        stripe_js += f" {base or 'https://js.stripe.com'}"
        stripe_api += f" {base or 'https://api.stripe.com'}"
    frames = " ".join(sorted({stripe_js, "https://js.stripe.com", "https://hooks.stripe.com"}))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe_js}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {stripe_api} {stripe_js}",
            f"frame-src {frames}",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


#: browser features: payment only for us and Stripe's frames; camera, microphone, location off
PERMISSIONS_POLICY = ", ".join(
    [
        'payment=(self "https://js.stripe.com")',
        "camera=()",
        "microphone=()",
        "geolocation=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "hid=()",
        "interest-cohort=()",
    ]
)


#: the headers every answer carries as they are, whatever a view set
FIXED_HEADERS = (
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


def add_headers(response: Response) -> Response:
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy()
    for name, value in FIXED_HEADERS:
        headers[name] = value
    if request.endpoint == "static":
        headers["Cache-Control"] = "public, max-age=86400"
    elif "Cache-Control" not in headers or response.cache_control.max_age is None:
        # a view that gives its response a lifetime (the brand stylesheet, the logo) keeps it
        headers["Cache-Control"] = "no-store"
    seconds = current_app.config.get("HSTS_SECONDS")
    if seconds and request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"
    return response


def cross_origin_reason() -> str | None:
    """Why the current unsafe request looks cross-site, or None when nothing says so."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        if fetch_site.lower() in SAME_SITE_FETCHES:
            return None
        return f"The request came from another site (Sec-Fetch-Site: {fetch_site})."
    origin = request.headers.get("Origin")
    if origin in (None, "null"):
        return None
    if origin.rstrip("/") != request.host_url.rstrip("/"):
        return "The request's origin does not match this site."
    return None


class SameOriginCSRF(CSRFProtect):
    """Flask-WTF's token check plus a same-origin check that needs no Referer."""

    def protect(self, apply_exemptions=False):
        if request.method in current_app.config["WTF_CSRF_METHODS"] and not (
            apply_exemptions and (not request.endpoint or self._is_exempt())
        ):
            reason = cross_origin_reason()
            if reason:
                self._error_response(reason)
        return super().protect(apply_exemptions)


def use_host_cookie_names(app: Flask) -> None:
    """Over HTTPS the session cookie is `__Host-session`: the browser then only accepts it
    when Secure, with Path=/ and no Domain, so no other host or plain-HTTP page can set it."""
    if app.config.get("SESSION_COOKIE_SECURE") and app.config.get("SESSION_COOKIE_NAME") in (
        None,
        "session",
    ):
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)


def init_app(app: Flask) -> None:
    use_host_cookie_names(app)
    app.after_request(add_headers)
    logging.getLogger("werkzeug").addFilter(RedactLinkTokens())
