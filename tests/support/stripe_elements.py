"""Serve the stand-in for Stripe.js's Payment Element and Express Checkout Element
(`stripe_elements.js`) in place of https://js.stripe.com/v3/, through Playwright routing."""

from pathlib import Path

from playwright.sync_api import Page

STRIPE_JS = "https://js.stripe.com/v3/"
_SOURCE = Path(__file__).with_name("stripe_elements.js")


def serve(page: Page, api_base: str) -> None:
    """Answer the page's requests for Stripe.js with the stand-in, talking to `api_base`."""
    body = _SOURCE.read_text().replace("__API_BASE__", api_base.rstrip("/"))
    page.route(
        "https://js.stripe.com/**",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=body),
    )


def calls(page: Page) -> list:
    """The Stripe.js calls the page made, in order, as the stand-in recorded them."""
    return page.evaluate("() => window.__stripeCalls || []")
