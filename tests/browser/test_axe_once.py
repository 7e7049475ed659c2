"""axe put into a page once still checks the page as it is at each check."""

import pytest

from tests.support.axe import Axe

pytestmark = pytest.mark.browser

PAGE = "<html lang='en'><head><title>t</title></head><body><main><h1>t</h1>{}</main></body></html>"


def test_a_page_changed_in_place_is_checked_as_it_is_now(page):
    axe = Axe()
    page.set_content(PAGE.format("<p>Fine</p>"))
    assert axe.run(page).response["violations"] == []
    page.evaluate("window.axe.keptMark = 1")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x.png>')"
    )
    found = axe.run(page).response["violations"]
    assert [v["id"] for v in found] == ["image-alt"]
    assert page.evaluate("window.axe.keptMark") == 1  # the same axe, not put in again
