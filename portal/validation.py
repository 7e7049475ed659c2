"""Checks on free text that reaches headers, file names and documents, shared by the forms,
the JSON API and the CSV import."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: C0 and C1 controls (line breaks and tabs included), DEL, and the Unicode line separators
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NOT_ALLOWED = _l("Line breaks, tabs and other control characters are not allowed here.")


def has_control_characters(text: str | None) -> bool:
    """True if `text` holds a character that could break a header, a line or a file name."""
    return bool(text) and (
        CONTROL.search(text) is not None
        or any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)
    )


def one_line(text: str) -> str:
    """`text` with every run of control characters turned into one space (for stored data
    written before the check existed)."""
    return " ".join(CONTROL.sub(" ", text).split())


class SingleLine:
    """WTForms validator: no control characters in the field."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(str(NOT_ALLOWED))
