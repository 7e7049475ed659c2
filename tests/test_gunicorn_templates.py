"""gunicorn's master compiles every page template and freezes what it holds before the workers
fork."""

import gc
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


def test_the_master_freezes_what_it_holds_before_forking(web_app, monkeypatch):
    monkeypatch.setattr(gunicorn_conf, "preload_app", True)
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: web_app))
    try:
        gunicorn_conf.pre_fork(server, None)
        assert gc.get_freeze_count() > 0
        # frozen: no generation the collector traverses holds the app's objects any more
        assert all(tracked is not web_app.jinja_env for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_without_preloading_nothing_is_frozen(web_app, monkeypatch):
    monkeypatch.setattr(gunicorn_conf, "preload_app", False)
    gunicorn_conf.pre_fork(SimpleNamespace(app=None), None)
    assert gc.get_freeze_count() == 0
