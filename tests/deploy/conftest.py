"""The browser fixtures of tests/browser, for the deployment test."""

from tests.browser.conftest import browser, open_page  # noqa: F401
