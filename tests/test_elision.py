"""Italian articles before 8, 11 and 80-89: "l'8 gennaio", "dall'11", "dell'80%"."""

from datetime import date

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext, ngettext
from markupsafe import Markup

from portal import create_app
from portal.elision import elide
from portal.i18n import day_filter


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Scade il 8 gennaio 2027", "Scade l’8 gennaio 2027"),
        ("Il 11 gen 2027 addebiteremo", "L’11 gen 2027 addebiteremo"),
        ("prestazioni dal 8 gen al 11 gen", "prestazioni dall’8 gen all’11 gen"),
        ("del 8 feb, nel 8 mar, sul 11 apr", "dell’8 feb, nell’8 mar, sull’11 apr"),
        ("un acconto minimo del 80%", "un acconto minimo dell’80%"),
        ("entro il 1° gennaio 2027", "entro il 1° gennaio 2027"),
        ("entro il 18 gennaio, il 81%", "entro il 18 gennaio, l’81%"),
        ("il 800 e il 8000", "il 800 e il 8000"),
        ("alle 8:00, il 8/1/27", "alle 8:00, il 8/1/27"),
    ],
)
def test_articles_before_a_vowel_sound_are_elided(text, written):
    assert elide(text) == written


def test_markup_stays_markup():
    mended = elide(Markup("fino al 8 gennaio &amp; oltre"))
    assert isinstance(mended, Markup) and mended == Markup("fino all’8 gennaio &amp; oltre")


@pytest.fixture(scope="module")
def app():
    return create_app({"SALDO_ENV": "test"})


def test_italian_messages_are_mended_in_python_and_templates(app):
    eighth = date(2027, 1, 8)
    template = '{{ _("Due %(date)s", date=day|day("long")) }}'
    with app.test_request_context(), force_locale("it"):
        assert gettext("Due %(date)s", date=day_filter(eighth, "long")) == "Scade l’8 gennaio 2027"
        assert render_template_string(template, day=eighth) == "Scade l’8 gennaio 2027"
        assert render_template_string(template, day=date(2027, 1, 1)) == "Scade il 1° gennaio 2027"
        assert ngettext("%(num)d invoice", "%(num)d invoices", 8) == "8 fatture"


def test_english_is_left_alone(app):
    with app.test_request_context(), force_locale("en"):
        assert gettext("Due %(date)s", date="il 8 gennaio") == "Due il 8 gennaio"
