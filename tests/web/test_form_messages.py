"""WTForms' own messages follow the request's locale, from catalogs read once per process."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal import i18n


class Probe(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired()])
    code = StringField(validators=[Length(min=3)])


def errors(web_app, language: str) -> dict:
    with web_app.test_request_context(
        "/", method="POST", data={"code": "x"}, headers={"Accept-Language": language}
    ):
        web_app.preprocess_request()
        form = Probe()
        form.validate()
        return form.errors


def test_wtforms_messages_in_each_language_and_the_catalog_read_once(web_app):
    i18n._wtforms_catalog.cache_clear()
    assert errors(web_app, "it") == {
        "name": ["Questo campo è obbligatorio."],
        "code": ["Il valore deve essere lungo almeno 3 caratteri."],
    }
    assert errors(web_app, "en") == {
        "name": ["This field is required."],
        "code": ["Field must be at least 3 characters long."],
    }
    errors(web_app, "it")
    info = i18n._wtforms_catalog.cache_info()
    assert (info.misses, info.currsize) == (2, 2)  # read once per language, then reused
