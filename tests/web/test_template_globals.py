"""Templates read the page object their view gives them: the globals and context processors
they can call are helpers (addresses, CSRF, translation, formatting, request data already
loaded), never a function that reads domain data from the database. A new global or context
processor fails here until it is added to the allow-list below, with a reason."""

from enum import StrEnum

import jinja2

from portal import create_app
from portal.vocabulary import TEMPLATE_VOCABULARIES

#: Flask, Flask-WTF and Flask-Babel helpers, and what Saldo adds for formatting
ALLOWED_GLOBALS = {
    "config",  # Flask
    "request",
    "session",
    "g",
    "url_for",
    "get_flashed_messages",
    "csrf_token",  # Flask-WTF
    "csrf_meta_tag",
    "_",  # translation (portal.elision wraps Flask-Babel's)
    "gettext",
    "ngettext",
    "pgettext",
    "npgettext",
    "current_locale",  # the request's language (portal.i18n)
    "method_name",  # a payment method's translated name (portal.i18n)
}

#: the named vocabularies templates compare statuses and kinds with: enums, no data
VOCABULARY_GLOBALS = {
    "AlertKind",
    "CadenceTone",
    "CallOutcome",
    "CallStatus",
    "DeliveryStatus",
    "DocumentKind",
    "ElementsMode",
    "Hold",
    "ImportStatus",
    "InvoiceStatus",
    "LinkState",
    "NoticeState",
    "OfferStatus",
    "PaymentMethod",
    "PaymentStatus",
    "PlanStatus",
    "RefundOrigin",
    "RefundStatus",
    "Role",
    "WorkStatus",
}

ALLOWED_PROCESSORS = {
    "flask.templating._default_template_ctx_processor",  # request, session, g
    "flask_wtf.csrf.CSRFProtect.init_app.<locals>.<lambda>",  # csrf_token
    "portal._current_user",  # the lazy current_user, loaded by the session when a page reads it
    "portal.patient.practice_context",  # g.practice, loaded with the patient's link
    "portal.patient.resume_views.resume_context",  # signs the session's link id, no query
    "portal.staff.nav.nav_context",  # StaffNav, read once per request when a page shows it
    "portal.staff.work_views._money_helpers",  # new_claim_key: a random token, no query
}


def _app():
    return create_app({"SALDO_ENV": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_templates_get_no_global_function_beyond_the_helpers():
    app = _app()
    jinja_own = set(jinja2.defaults.DEFAULT_NAMESPACE)
    assert set(app.jinja_env.globals) - jinja_own == ALLOWED_GLOBALS | VOCABULARY_GLOBALS


def test_the_vocabulary_globals_are_enums_under_their_own_names():
    app = _app()
    for name in VOCABULARY_GLOBALS:
        enum = app.jinja_env.globals[name]
        assert issubclass(enum, StrEnum) and enum.__name__ == name
        assert TEMPLATE_VOCABULARIES[name] is enum


def test_context_processors_are_the_allowed_ones():
    app = _app()
    found = {
        f"{fn.__module__}.{fn.__qualname__}"
        for processors in app.template_context_processors.values()
        for fn in processors
    }
    assert found == ALLOWED_PROCESSORS


def test_the_staff_layout_gets_its_figures_as_a_value_not_a_function():
    app = _app()
    with app.test_request_context("/staff/login"):
        app.preprocess_request()
        context: dict = {}
        for fn in app.template_context_processors["staff"]:
            if fn.__module__.startswith("portal."):
                context.update(fn())
        assert not context["staff_nav"]  # nobody signed in
        assert not callable(context["staff_nav"])
    assert set(context) == {"staff_nav", "new_claim_key"}
