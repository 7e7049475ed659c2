"""Italian articles before a number that starts with a vowel sound.

Italian writes "il 12 gennaio" but "l'8 gennaio", "dall'11 marzo", "dell'80%". A translation
cannot know the number its placeholder will hold ("entro il %(date)s"), so the text is mended
once the placeholders are filled, in every translated message (Python and templates alike) and
only under an Italian locale.
"""

import re

from flask import Flask
from flask_babel import Domain, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

#: The article or articulated preposition before a consonant and before a vowel.
ELIDED = {"il": "l’", "dal": "dall’", "al": "all’", "del": "dell’", "nel": "nell’", "sul": "sull’"}
_BEFORE_VOWEL_NUMBER = re.compile(
    r"\b(il|dal|al|del|nel|sul|Il|Dal|Al|Del|Nel|Sul) "
    r"(?=(?:8|11|8\d)(?!\d)(?:°?\s+[^\W\d]|\s*%|,\d))"
)


def _elided(match: re.Match) -> str:
    word = match.group(1)
    article = ELIDED[word.lower()]
    return article[:1].upper() + article[1:] if word[0].isupper() else article


def elide(text):
    """`text` with "il 8", "dal 11"... written as Italian writes them; markup stays markup."""
    if not isinstance(text, str) or " " not in text:
        return text
    mended = _BEFORE_VOWEL_NUMBER.sub(_elided, text)
    # escaped markup with an article mended stays escaped: only an apostrophe and letters are added
    return Markup(mended) if isinstance(text, Markup) else mended  # noqa: S704


def _italian() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "it"


class ElidingDomain(Domain):
    """Flask-Babel's message domain, mending Italian articles after interpolation."""

    def gettext(self, string, **variables):
        text = super().gettext(string, **variables)
        return elide(text) if variables and _italian() else text

    def ngettext(self, singular, plural, num, **variables):
        text = super().ngettext(singular, plural, num, **variables)
        return elide(text) if _italian() else text

    def pgettext(self, context, string, **variables):
        text = super().pgettext(context, string, **variables)
        return elide(text) if variables and _italian() else text

    def npgettext(self, context, singular, plural, num, **variables):
        text = super().npgettext(context, singular, plural, num, **variables)
        return elide(text) if _italian() else text


def _mending(render):
    """A Jinja newstyle gettext callable whose result is mended like the domain's."""

    def call(__context, *args, **variables):
        text = render(__context, *args, **variables)
        return elide(text) if _italian() else text

    call.jinja_pass_arg = render.jinja_pass_arg  # the context, as Jinja passes it to `render`
    return call


@pass_context
def template_gettext(__context, __string, **variables):
    """`_()` in a template: Jinja's newstyle gettext, mended like the domain's, with the
    catalog and the language looked up once per rendering instead of once per message."""
    catalog = getattr(__context, "_saldo_catalog", None)
    if catalog is None:
        catalog = (get_translations(), _italian())
        __context._saldo_catalog = catalog
    text = catalog[0].ugettext(__string)
    if __context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (a translation is trusted markup, as in Jinja)
    # like Jinja: always a format string, so "%%" reads the same with or without variables
    text = text % variables
    return elide(text) if catalog[1] else text


template_gettext.mends_italian = True


def init_app(app: Flask, babel) -> None:
    app.jinja_env.filters["elide"] = elide  # for Italian text written in a template
    babel.domain_instance = ElidingDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = template_gettext
    for name in ("ngettext", "pgettext", "npgettext"):
        render = app.jinja_env.globals.get(name)
        if render is not None and not getattr(render, "mends_italian", False):
            mended = _mending(render)
            mended.mends_italian = True
            app.jinja_env.globals[name] = mended
