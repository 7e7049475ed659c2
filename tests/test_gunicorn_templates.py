"""gunicorn's master compiles every page template before the workers fork."""

from types import SimpleNamespace

from portal import gunicorn_conf


def test_the_master_compiles_every_page_template_before_forking(web_app):
    names = web_app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert "patient/invoice.html" in names and "base.html" in names
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: web_app))
    web_app.jinja_env.cache.clear()  # the tests' reused app may have compiled some already
    gunicorn_conf.when_ready(server)
    compiled = {key[1] for key in web_app.jinja_env.cache}
    assert compiled == set(names)
