"""A practice's colour must carry white text (WCAG 4.5:1); its logo is a small PNG or JPEG
kept in the database."""

import hashlib

import pytest

from portal.extensions import db
from portal.services.practice import branding
from portal.services.practice.branding import BrandingRefused
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def test_the_contrast_of_white_text_is_the_wcag_ratio():
    assert branding.contrast_with_white("#000000") == pytest.approx(21.0)
    assert branding.contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert round(branding.contrast_with_white("#123b63"), 2) == 11.47
    assert round(branding.contrast_with_white("#767676"), 2) == 4.54


def test_a_dark_enough_colour_is_kept_in_lower_case():
    assert branding.check_colour("#123B63") == "#123b63"
    assert branding.check_colour("#767676") == "#767676"  # 4.54:1, just enough


@pytest.mark.parametrize(
    ("colour", "message"),
    [
        ("#777777", "This colour is too light for white text; choose a darker one."),
        ("#ffcc00", "This colour is too light for white text; choose a darker one."),
        ("123b63", "Use a colour like #123b63."),
        ("#12345", "Use a colour like #123b63."),
        ("#12345g", "Use a colour like #123b63."),
        ("", "Use a colour like #123b63."),
        (None, "Use a colour like #123b63."),
    ],
)
def test_a_light_or_malformed_colour_is_refused(colour, message):
    with pytest.raises(BrandingRefused) as refused:
        branding.check_colour(colour)
    assert str(refused.value) == message


def test_the_stylesheet_uses_the_practice_s_colour_or_the_default(app):
    practice = factories.practice(brand_colour="#0a5c36")
    assert branding.stylesheet(practice) == (
        ".top{background:#0a5c36}"
        "button.primary,.button.primary{background:#0a5c36;border-color:#0a5c36}\n"
    )
    practice.brand_colour = "red;}body{display:none"
    assert branding.stylesheet(practice).startswith(".top{background:#123b63}")


def test_a_logo_is_stored_and_replaced(app):
    practice = factories.practice()
    assert branding.logo(practice.id) is None
    assert branding.save_logo(practice, PNG) == f"practice-{practice.id}.png"
    db.session.commit()
    assert branding.save_logo(practice, JPEG) == f"practice-{practice.id}.jpg"
    db.session.commit()
    stored = branding.logo(practice.id)
    assert (stored.content_type, stored.data) == ("image/jpeg", JPEG)
    assert stored.sha256 == hashlib.sha256(JPEG).hexdigest()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * 10, "The logo must be a PNG or JPEG image."),
        (PNG + b"\x00" * 300_000, "The logo must be smaller than 300 kB."),
    ],
)
def test_a_logo_of_another_kind_or_too_large_is_refused(app, data, message):
    practice = factories.practice()
    with pytest.raises(BrandingRefused) as refused:
        branding.save_logo(practice, data)
    assert str(refused.value) == message
    assert branding.logo(practice.id) is None
