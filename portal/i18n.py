"""Locale and time zone selection, and Jinja filters for money and dates through CLDR."""

from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import support
from babel.dates import DateTimePattern, parse_pattern
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from flask_login import current_user
from wtforms.i18n import messages_path

from portal.money import cldr_locale, format_money, format_plain


def supported() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Explicit choice on the page, then the patient's language, Accept-Language, the practice."""
    if has_request_context():
        chosen = session.get("lang")
        if chosen in supported():
            return chosen
        patient_locale = getattr(g, "patient_locale", None)
        if patient_locale in supported():
            return patient_locale
        if current_user and current_user.is_authenticated and current_user.locale in supported():
            return current_user.locale
        best = request.accept_languages.best_match(supported())
        if best:
            return best
        practice_locale = getattr(g, "practice_locale", None)
        if practice_locale in supported():
            return practice_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    return getattr(g, "practice_timezone", None) if has_request_context() else None


def current_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@contextmanager
def rendering_in(locale: str | None):
    """Render templates in `locale` (emails, PDFs, jobs), whatever the request says."""
    wanted = locale if locale in supported() else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(wanted):
        yield wanted


def money_filter(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, current_locale())


@lru_cache(maxsize=128)
def _date_pattern(locale: str, style: str) -> DateTimePattern:
    """The CLDR date pattern for `style` ("short" ... "full" or a custom pattern), parsed once."""
    formats = cldr_locale(locale).date_formats
    return formats[style] if style in formats else parse_pattern(style)


@lru_cache(maxsize=16)
def _short_time(locale: str) -> DateTimePattern:
    return cldr_locale(locale).time_formats["short"]


def day_filter(value: date | str, style: str = "medium") -> str:
    """A day in the current locale; an ISO string (as kept in audit data) is read first."""
    locale = current_locale()
    if isinstance(value, str):
        value = date.fromisoformat(value)
    day = value.date() if isinstance(value, datetime) else value
    return _date_pattern(locale, style).apply(day, cldr_locale(locale))


def moment_filter(value: datetime, tz: str = "UTC", style: str = "medium") -> str:
    """A stored naive-UTC timestamp in the practice's time zone: the date in `style`, then
    hours and minutes."""
    local = value.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    locale = current_locale()
    parsed = cldr_locale(locale)
    day = _date_pattern(locale, style).apply(local.date(), parsed)
    return f"{day}, {_short_time(locale).apply(local, parsed)}"


def method_name(method: str, in_sentence: bool = False) -> str:
    """The translated name of a payment method, capitalised as a label or lower case."""
    labels = {
        "card": (_l("Card"), pgettext_l("in a sentence", "card")),
        "sepa_debit": (_l("SEPA bank debit"), pgettext_l("in a sentence", "SEPA bank debit")),
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
