"""The Italian catalog is complete, current and in use.

Fails when a message is untranslated or fuzzy, when a string in the code or templates is missing
from the catalog (run `flask --app portal translate update`, then translate), when a translation's
%(name)s placeholders differ from its msgid's, or when the compiled catalog is not served.
"""

from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal import create_app

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "it" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "pgettext_l": ((1, "c"), 2),
}  # as `flask translate extract`


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as f:
        return read_po(f, locale="it")


@pytest.fixture(scope="module")
def messages(catalog):
    return [m for m in catalog if m.id]


def _forms(value):
    """A message's id or string as a tuple: (singular,) or (singular, plural, ...)."""
    return value if isinstance(value, tuple) else (value,)


def _key(msgid, context):
    return (_forms(msgid)[0], context)


def _placeholders(text):
    return sorted(m.group(0) for m in PYTHON_FORMAT.finditer(text) if m.group(0) != "%%")


def test_every_message_is_translated(messages):
    assert not [m.id for m in messages if not all(_forms(m.string))]


def test_no_message_is_fuzzy(catalog, messages):
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    assert not [m.id for m in messages if m.fuzzy]


def test_catalog_has_every_string_in_the_source(catalog):
    with (ROOT / "config" / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    extracted = {
        _key(msgid, context)
        for _file, _line, msgid, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS
        )
    }
    known = {_key(m.id, m.context) for m in catalog if m.id}
    assert extracted, "nothing was extracted; is config/babel.cfg right?"
    assert sorted(extracted - known) == []


def test_placeholders_match(catalog, messages):
    problems = [(m.id, str(e)) for m, errors in catalog.check() for e in errors]
    for m in messages:
        wanted = _placeholders(_forms(m.id)[-1])
        problems += [(m.id, s) for s in _forms(m.string) if _placeholders(s) != wanted]
    assert not problems


def test_compiled_catalog_is_served():
    app = create_app({"SALDO_ENV": "test"})
    with app.app_context(), flask_babel.force_locale("it"):
        assert flask_babel.gettext("Pay your bill") == "Pagamento della fattura"
