"""Locale and time zone selection, and Jinja filters for money and dates through CLDR."""

import re
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from functools import lru_cache

from babel import support
from babel.dates import DateTimePattern, parse_pattern
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from wtforms.i18n import messages_path

from portal import clock, elision
from portal.extensions import babel
from portal.money import cldr_locale, format_money, format_plain


def supported() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Explicit choice on the page, then the patient's language, Accept-Language, the practice."""
    if has_request_context():
        languages = current_app.config["LANGUAGES"]
        chosen = session.get("lang")
        if chosen in languages:
            return chosen
        patient_locale = g.get("patient_locale")
        if patient_locale in languages:
            return patient_locale
        staff_locale = _staff_locale()
        if staff_locale in languages:
            return staff_locale
        best = request.accept_languages.best_match(languages)
        if best:
            return best
        practice_locale = g.get("practice_locale")
        if practice_locale in languages:
            return practice_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _staff_locale() -> str | None:
    """The signed-in staff user's language. A session no one signed in to (a patient's)
    does not load the user: Flask-Login would only find it anonymous."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE)
    if "_user_id" not in session and remember not in request.cookies:
        return None
    return current_user.locale if current_user and current_user.is_authenticated else None


def select_timezone() -> str | None:
    return getattr(g, "practice_timezone", None) if has_request_context() else None


#: each locale's identifier, written out once per process (a bill asks for it per amount)
_IDENTIFIERS: dict = {}


def current_locale() -> str:
    locale = get_locale()
    if locale is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    identifier = _IDENTIFIERS.get(locale)
    if identifier is None:
        identifier = _IDENTIFIERS.setdefault(locale, str(locale))
    return identifier


@contextmanager
def rendering_in(locale: str | None):
    """Render templates in `locale` (emails, PDFs, jobs), whatever the request says."""
    wanted = locale if locale in supported() else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(wanted):
        yield wanted


def money_filter(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, current_locale())


@lru_cache(maxsize=128)
def _date_pattern(locale: str, style: str, first_of_month: bool = False) -> DateTimePattern:
    """The CLDR date pattern for `style` ("short" ... "full" or a custom pattern), parsed once.

    Italian writes the first day of a month as an ordinal before a month name ("1° gennaio",
    never "1 gennaio"); numeric dates ("01/01/27") stay as CLDR has them."""
    formats = cldr_locale(locale).date_formats
    pattern = formats[style] if style in formats else parse_pattern(style)
    if first_of_month and locale.startswith("it") and "%(MMM" in pattern.format:
        ordinal = re.sub(r"%\(d\)s(?=\W+%\(MMM)", "%(d)s°", pattern.format, count=1)
        pattern = DateTimePattern(pattern.pattern, ordinal)
    return pattern


@lru_cache(maxsize=16)
def _short_time(locale: str) -> DateTimePattern:
    return cldr_locale(locale).time_formats["short"]


def format_day(value: date | str, locale: str, style: str = "medium") -> str:
    """`value` as `locale` writes it: "Jan 1, 2027", "1° gen 2027"; an ISO string (as kept in
    audit data) is read first."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    day = value.date() if isinstance(value, datetime) else value
    return _date_pattern(locale, style, day.day == 1).apply(day, cldr_locale(locale))


def day_filter(value: date | str, style: str = "medium") -> str:
    return format_day(value, current_locale(), style)


def zone_name(moment: datetime) -> str:
    """The abbreviation of an aware `moment`'s zone ("CET", "EST"), or its offset ("UTC-03")."""
    name = moment.strftime("%Z")
    return f"UTC{name}" if name[:1] in "+-" else name


def moment_filter(value: datetime, tz: str = "UTC", style: str = "medium") -> str:
    """A stored naive-UTC timestamp in the practice's time zone: the date in `style`, then
    hours, minutes and the zone ("Nov 20, 2026, 10:30 AM EST")."""
    zone = clock.zone(tz)
    local = clock.local(value, zone)
    locale = current_locale()
    day = format_day(clock.day_of(value, zone), locale, style)
    time = _short_time(locale).apply(local, cldr_locale(locale))
    return f"{day}, {time} {zone_name(local)}"


#: The words that start the name of every PDF a reader downloads or receives attached.
FILE_STEMS = {
    "receipt": pgettext_l("file name", "receipt"),
    "agreement": pgettext_l("file name", "payment-plan-agreement"),
    "statement": pgettext_l("file name", "statement"),
    "letters": pgettext_l("file name", "letters"),
    "invoice": pgettext_l("file name", "invoice"),
    "credit_note": pgettext_l("file name", "credit-note"),
}


def file_name(kind: str, *parts: object, locale: str | None = None) -> str:
    """The name of a PDF in `locale` (default: the current one): "receipt-R7-000.pdf",
    "ricevuta-R7-000.pdf"."""
    with rendering_in(locale) if locale else nullcontext():
        stem = str(FILE_STEMS[kind])
    return "-".join([stem, *(str(p) for p in parts)]) + ".pdf"


def method_name(method: str, in_sentence: bool = False) -> str:
    """The translated name of a payment method, capitalised as a label or lower case."""
    labels = {
        "card": (_l("Card"), pgettext_l("in a sentence", "card")),
        "sepa_debit": (_l("SEPA bank debit"), pgettext_l("in a sentence", "SEPA bank debit")),
        "link": (_l("Link"), pgettext_l("in a sentence", "Link")),
        "cash": (_l("Cash"), pgettext_l("in a sentence", "cash")),
        "cheque": (_l("Cheque"), pgettext_l("in a sentence", "cheque")),
        "card_terminal": (_l("Card terminal"), pgettext_l("in a sentence", "card terminal")),
    }
    return str(labels[method][1 if in_sentence else 0])


@lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WtformsMessages:
    """WTForms' own messages in the request's locale, from catalogs read once per process.
    Flask-WTF looks for this object on the request before it reads the catalog from disk
    (which it would otherwise do on every request that builds a form)."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(current_locale()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(current_locale()).ungettext(singular, plural, n)


_WTFORMS_MESSAGES = _WtformsMessages()


def _cached_wtforms_messages() -> None:
    request.wtforms_translations = _WTFORMS_MESSAGES


def init_app(app: Flask) -> None:
    app.before_request(_cached_wtforms_messages)
    app.jinja_env.filters["money"] = money_filter
    app.jinja_env.filters["plain"] = format_plain
    app.jinja_env.filters["day"] = day_filter
    app.jinja_env.filters["moment"] = moment_filter
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.globals["method_name"] = method_name
    app.jinja_env.add_extension("jinja2.ext.i18n")
    elision.init_app(app, babel)
