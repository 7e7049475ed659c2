"""Checks on free text that reaches headers, file names and documents, shared by the forms,
the JSON API and the CSV import."""

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: C0 and C1 controls (line breaks and tabs included), DEL, and the Unicode line separators
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NOT_ALLOWED = _l("Line breaks, tabs and other control characters are not allowed here.")


#: CONTROL and the lone surrogates: every character of Unicode category Cc or Cs, in one
#: regular expression (a CSV import checks hundreds of thousands of cells)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def has_control_characters(text: str | None) -> bool:
    """True if `text` holds a character that could break a header, a line or a file name
    (a control character, a line separator or a lone surrogate)."""
    return bool(text) and _UNSAFE.search(text) is not None


def one_line(text: str) -> str:
    """`text` with every run of control characters turned into one space (for stored data
    written before the check existed)."""
    return " ".join(CONTROL.sub(" ", text).split())


class SingleLine:
    """WTForms validator: no control characters in the field."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(str(NOT_ALLOWED))
