"""Flask-Migrate, loaded when a migration is asked for: Alembic, Mako and their parsers are
about a seventh of every worker's and command's start, and only `flask db ...` and
`flask_migrate.upgrade()` need them."""

from pathlib import Path

import click
from flask import Flask

#: the migration scripts, inside the package
DIRECTORY = str(Path(__file__).parent / "migrations")


class _Deferred:
    """`app.extensions["migrate"]` until something reads it: then Flask-Migrate is imported
    and bound to the app (which puts its own record in the place of this one)."""

    def __init__(self, app: Flask, db):
        self._app, self._db = app, db

    def __getattr__(self, name: str):
        return getattr(_bound(self._app, self._db), name)


def _bound(app: Flask, db):
    """Flask-Migrate bound to `app`: its record of the migrations' place and options."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=DIRECTORY)
    return app.extensions["migrate"]


class _Commands(click.Group):
    """`flask db`: Flask-Migrate's commands, imported when one is listed or run."""

    def __init__(self, app: Flask, db):
        super().__init__("db", help="Perform database migrations.")
        self._app, self._db = app, db

    def _group(self) -> click.Group:
        from flask_migrate.cli import db as commands

        if isinstance(self._app.extensions.get("migrate"), _Deferred):
            _bound(self._app, self._db)
        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # the context of Flask-Migrate's own group: its options, callback and commands run
        return self._group().make_context(info_name, args, parent, **extra)


def init_app(app: Flask, db) -> None:
    """What `Migrate(app, db)` does, without importing it yet."""
    app.extensions["migrate"] = _Deferred(app, db)
    app.cli.add_command(_Commands(app, db))
