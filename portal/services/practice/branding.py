"""A practice's colour (checked for contrast with white text) and logo image (kept in the
database, so every server serves it)."""

import hashlib
import re

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Practice, PracticeLogo
from portal.services.core.refusals import RefusalCode, Refused

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LOGO_BYTES = 300_000
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


class BrandingRefused(Refused, ValueError):
    code = RefusalCode.BRANDING


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on `colour`."""
    return 1.05 / (_luminance(colour) + 0.05)


def check_colour(colour: str) -> str:
    if not COLOUR.match(colour or ""):
        raise BrandingRefused(_l("Use a colour like #123b63."))
    if contrast_with_white(colour) < 4.5:
        raise BrandingRefused(_l("This colour is too light for white text; choose a darker one."))
    return colour.lower()


def stylesheet(practice: Practice) -> str:
    colour = practice.brand_colour if COLOUR.match(practice.brand_colour or "") else "#123b63"
    return (
        f".top{{background:{colour}}}"
        f"button.primary,.button.primary{{background:{colour};border-color:{colour}}}\n"
    )


def save_logo(practice: Practice, data: bytes) -> str:
    """Store a PNG or JPEG logo for `practice` (replacing any earlier one); returns its name."""
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingRefused(_l("The logo must be smaller than 300 kB."))
    kind = next((ext for magic, ext in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise BrandingRefused(_l("The logo must be a PNG or JPEG image."))
    logo = db.session.get(PracticeLogo, practice.id) or PracticeLogo(practice_id=practice.id)
    logo.content_type, logo.data = CONTENT_TYPES[kind], data
    logo.sha256 = hashlib.sha256(data).hexdigest()
    db.session.add(logo)
    return f"practice-{practice.id}.{kind}"


def logo(practice_id: int) -> PracticeLogo | None:
    """The practice's stored logo, if it has one."""
    return db.session.get(PracticeLogo, practice_id)
