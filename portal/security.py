"""Response headers: a strict Content-Security-Policy that admits only our files and Stripe's."""

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from portal.log_filters import RedactLinkTokens


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    stripe_js = _origin(current_app.config["STRIPE_JS_URL"]) or "https://js.stripe.com"
    stripe_api = _origin(current_app.config["STRIPE_API_BASE"]) or "https://api.stripe.com"
    practice = g.get("practice")
    if getattr(practice, "has_own_stripe_account", False):  # its own account: Stripe or a stand-in
        base = _origin(practice.stripe_api_base)
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


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint == "static":
        response.headers["Cache-Control"] = "public, max-age=86400"
    else:
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    logging.getLogger("werkzeug").addFilter(RedactLinkTokens())
