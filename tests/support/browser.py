"""Browser fixtures (Chromium through Playwright), one session-wide browser per test process
for tests/browser and tests/deploy; loaded by tests/conftest.py as a plugin."""

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = dict(
    viewport={"width": 390, "height": 844},
    is_mobile=True,
    has_touch=True,
    device_scale_factor=3,
)
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Open a page in a fresh browser context (own cookies) made with `options`.

    The test fails if a script on any of these pages throws or the console reports an error
    (a Content-Security-Policy refusal, say); HTTP error statuses are left to the tests."""
    contexts = []
    errors: list[str] = []

    def new_page(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda message: _console_error(page, message, errors))
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert not errors, f"errors in the browser: {errors}"


@pytest.fixture
def new_phone_page(open_page):
    """Open a page in a fresh phone context whose language is `locale`."""
    return lambda locale="en-GB": open_page(**PHONE, locale=locale)


def _console_error(page, message, errors: list[str]) -> None:
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(f"{page.url}: console: {message.text}")


@pytest.fixture
def page(new_phone_page):
    """A phone whose language is British English."""
    return new_phone_page()
