"""Reading JSON request bodies and query strings field by field, with errors that name the field.

Every accessor raises `ApiError` (422, code "validation_error", `field` set) for a missing
required field, a wrong type, a bad date or an amount that is not a non-negative integer.
Unknown fields are ignored. Strings are refused when they carry control characters or cannot
be stored as UTF-8, and are capped at the column's length, so bad input never reaches the
database as a 500.
"""

import json
import re
from datetime import date

from flask import request

from portal.api.errors import ApiError
from portal.validation import has_control_characters

#: a body larger than this is refused with 413
MAX_BODY_BYTES = 256 * 1024
#: the largest amount accepted, in minor units; keeps sums inside a 32-bit database integer
MAX_AMOUNT = 1_000_000_000
#: ids above this cannot exist (32-bit primary keys)
MAX_ID = 2**31 - 1
#: most lines on one invoice, most invoices on one page of a list
MAX_LINES = 100
MAX_PAGE = 100
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", message, field)


def json_body(*, optional: bool = False) -> dict:
    """The request's JSON object; an empty body counts as `{}` when `optional`."""
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", "The request body must be a JSON object.")
    return data


class Fields:
    """Typed access to one JSON object; `prefix` locates it in the body, e.g. "lines[2]."."""

    def __init__(self, data: dict, prefix: str = ""):
        self.data, self.prefix = data, prefix

    def _get(self, name: str, required: bool):
        value = self.data.get(name)
        if value is None and required:
            raise invalid(self.prefix + name, f"{self.prefix}{name} is required.")
        return value

    def text(
        self, name: str, max_length: int, *, required: bool = True, multiline: bool = False
    ) -> str | None:
        """A string field; only a `multiline` one may hold line breaks and tabs."""
        value = self._get(name, required)
        field = self.prefix + name
        if value is None:
            return None
        if not isinstance(value, str):
            raise invalid(field, f"{field} must be a string.")
        control = _CONTROL.search(value) if multiline else has_control_characters(value)
        if control or not _utf8(value):
            raise invalid(field, f"{field} contains characters that are not allowed.")
        if len(value) > max_length:
            raise invalid(field, f"{field} must be at most {max_length} characters long.")
        if required and not value.strip():
            raise invalid(field, f"{field} cannot be empty.")
        return value

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self._get(name, required)
        field = self.prefix + name
        if value is None:
            return None
        try:
            if not isinstance(value, str) or not _DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError as exc:
            raise invalid(field, f"{field} must be a date written YYYY-MM-DD.") from exc

    def amount(self, name: str, *, required: bool = False) -> int:
        value = self._get(name, required)
        field = self.prefix + name
        if value is None:
            return 0
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(
                field, f"{field} must be a whole number of minor units, e.g. 12050 for 120.50."
            )
        if value < 0:
            raise invalid(field, f"{field} cannot be negative.")
        if value > MAX_AMOUNT:
            raise invalid(field, f"{field} must be at most {MAX_AMOUNT}.")
        return value

    def identifier(self, name: str) -> int:
        value = self._get(name, True)
        field = self.prefix + name
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise invalid(field, f"{field} must be a positive integer id.")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise invalid(self.prefix + name, f"{self.prefix}{name} must be true or false.")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self._get(name, default is None)
        if value is None:
            return default
        if value not in choices:
            options = ", ".join(f'"{c}"' for c in choices)
            raise invalid(self.prefix + name, f"{self.prefix}{name} must be one of {options}.")
        return value

    def objects(self, name: str, max_items: int) -> list["Fields"]:
        value = self._get(name, True)
        field = self.prefix + name
        if not isinstance(value, list):
            raise invalid(field, f"{field} must be a list.")
        if not value:
            raise invalid(field, f"{field} needs at least one item.")
        if len(value) > max_items:
            raise invalid(field, f"{field} can have at most {max_items} items.")
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise invalid(f"{field}[{position}]", f"{field}[{position}] must be an object.")
        return [Fields(item, f"{field}[{n}].") for n, item in enumerate(value)]


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    digits = raw.isascii() and raw.isdigit() and len(raw) <= 10
    if not digits or not minimum <= int(raw) <= maximum:
        raise invalid(name, f"{name} must be a whole number from {minimum} to {maximum}.")
    return int(raw)


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
