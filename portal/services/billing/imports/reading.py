"""Reading an uploaded CSV file: decoding, the delimiter, rows numbered as a spreadsheet shows
them, and the dates and amounts found in cells."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.money import minor_digits, parse_amount
from portal.services.core.refusals import RefusalCode, Refused

DELIMITERS = (",", ";", "\t")
PREVIEW_ROWS = 10


class CsvError(Refused, ValueError):
    """The file cannot be read as CSV; the message is translated."""

    code = RefusalCode.CSV


@dataclass(frozen=True)
class CsvFile:
    """A decoded CSV file: headers, and data rows numbered as in the file (header = row 1)."""

    headers: tuple[str, ...]
    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str

    def preview(self, count: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
        """The first `count` rows, each padded or cut to the number of headers."""
        width = len(self.headers)
        return [(n, (cells + [""] * width)[:width]) for n, cells in self.rows[:count]]


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data[:4096]:  # a spreadsheet or other binary file, not text
        raise CsvError(_l("This file cannot be read as CSV."))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _sniff(text: str) -> str:
    """The delimiter that splits the header line into most columns (ties: comma, ;, TAB)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    widths = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (widths[d], -DELIMITERS.index(d)))


def read_csv(data: bytes) -> CsvFile:
    """Decode (UTF-8 with or without BOM, else cp1252), sniff the delimiter, split the rows.
    Blank rows are left out but counted, so row numbers match what a spreadsheet shows."""
    text, encoding = _decode(data)
    if not text.strip():
        raise CsvError(_l("The file is empty."))
    delimiter = _sniff(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise CsvError(_l("This file cannot be read as CSV.")) from exc
    numbered = [(n, cells) for n, cells in enumerate(records, 1) if any(c.strip() for c in cells)]
    if not numbered:
        raise CsvError(_l("The file is empty."))
    (_, raw_headers), rows = numbered[0], numbered[1:]
    headers: list[str] = []
    for position, raw in enumerate(raw_headers, start=1):
        name = " ".join(raw.split()) or f"#{position}"
        headers.append(f"{name} (#{position})" if name in headers else name)
    if len(headers) < 2:
        raise CsvError(
            _l("The file has only one column: separate columns with commas, semicolons or tabs.")
        )
    return CsvFile(tuple(headers), rows, delimiter, encoding)


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(text: str, date_format: str) -> date:
    """An ISO date, or day-first ("dmy") / month-first ("mdy") with / . or - between; a time
    after the date is ignored. Raises ValueError otherwise."""
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    match = _NUMERIC.fullmatch(text)
    if match is None or date_format not in ("dmy", "mdy"):
        raise ValueError("not a date")
    first, second, year = (int(part) for part in match.groups())
    day, month = (first, second) if date_format == "dmy" else (second, first)
    return date(year, month, day)


_PLAIN_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")


def parse_money(text: str, currency: str) -> int:
    """`parse_amount`, after dropping thousands separators when both . and , appear
    ("1.234,50" and "1,234.50" are 123450 in EUR)."""
    text = text.strip()
    if plain := _PLAIN_AMOUNT.fullmatch(text):  # most cells: "120.00", "80,5", "60"
        whole, fraction = plain.groups(default="")
        digits = minor_digits(currency)
        if len(fraction) > digits:
            raise ValueError("not an amount")
        return int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if not re.fullmatch(rf"\D*\d{{1,3}}(?:\{grouping}\d{{3}})+", whole):
            raise ValueError("not an amount")
        text = f"{whole.replace(grouping, '')}.{fraction}"
    return parse_amount(text, currency)
