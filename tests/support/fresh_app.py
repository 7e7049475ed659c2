"""One app per test process and key (database URL, Stripe base), reused by every test that
asks for the shared fixtures and put back before each test as `create_app` left it. What a
test may change on an app: its attributes (`instance_path`, ...), its settings
(`app.config`), what `init_app` keeps per app (`app.extensions`: the gateways, the bill
cache, the session serializer), the Jinja globals and filters, and the module-level
Flask-Limiter, which keeps the storage and the switch of the last app bound to it (bound
again with `init_app`, its counters emptied with `reset()`).
`create_app` costs about a tenth of a second of CPU; a test that needs settings read only
at creation builds an app of its own (`tests.conftest._make_app`).
"""

import copy
from collections.abc import Callable, Hashable

from flask import Flask

from portal import init_gateways
from portal.extensions import limiter


class _Kept:
    """An app and what `create_app` left in it."""

    def __init__(self, app: Flask):
        self.app = app
        self.attributes = dict(vars(app))
        self.config = _copied(dict(app.config))
        self.extensions = dict(app.extensions)
        self.globals = dict(app.jinja_env.globals)
        self.filters = dict(app.jinja_env.filters)

    def restore(self) -> Flask:
        app = self.app
        # attributes a test set or replaced (`instance_path`, `live_url`, ...)
        for name in set(vars(app)) - set(self.attributes):
            delattr(app, name)
        for name, value in self.attributes.items():
            if vars(app).get(name) is not value:
                setattr(app, name, value)
        app.config.clear()
        app.config.update(_copied(self.config))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        for now, then in (
            (app.jinja_env.globals, self.globals),
            (app.jinja_env.filters, self.filters),
        ):
            now.clear()
            now.update(then)
        # new gateways (a test may swap them or change one in place) and a new, empty
        # limiter storage bound to this app, as `create_app` makes them
        init_gateways(app)
        limiter.init_app(app)
        if limiter.enabled:
            limiter.reset()
        return app


_kept: dict[Hashable, _Kept] = {}


def reuse(key: Hashable, build: Callable[[], Flask]) -> Flask:
    """The app kept under `key` (built with `build` the first time), restored."""
    kept = _kept.get(key)
    if kept is None:
        kept = _kept[key] = _Kept(build())
        return kept.app
    return kept.restore()


def _copied(config: dict) -> dict:
    """The settings, with their lists, sets and dicts copied (a test may change them in place)."""
    return {
        name: copy.deepcopy(value) if isinstance(value, dict | list | set) else value
        for name, value in config.items()
    }
