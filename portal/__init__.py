"""Saldo: a self-hostable patient payment portal."""

from pathlib import Path

from flask import Flask
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import (
    csrf_tokens,
    gateways,
    i18n,
    log_filters,
    migrations_cli,
    security,
    session_cookie,
    template_context,
)
from portal.extensions import babel, csrf, db, limiter, login_manager
from portal.flask_app import PortalFlask
from portal.settings import INSTANCE, ROOT, config_for, engine_options
from portal.settings import check as check_settings


def create_app(config: dict | str | None = None) -> Flask:
    """Build the app; `config` is a settings name ("test") or a dict of overrides, whose
    optional "SALDO_ENV" key names the settings class they apply to."""
    app = PortalFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE),
    )
    name = config if isinstance(config, str) else (config or {}).get("SALDO_ENV")
    settings = config_for(name)
    app.config.from_object(settings)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_ENGINE_OPTIONS"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
            app.config["SQLALCHEMY_DATABASE_URI"]
        )
    check_settings(app.config, settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    log_filters.configure_logging(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_subscriptions()
    return app


def register_subscriptions() -> None:
    from portal.services.core import subscriptions

    subscriptions.connect()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    _sqlite_wal(app)
    migrations_cli.init_app(app, db)
    csrf.init_app(app)
    csrf_tokens.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    # templates get the lazy `current_user`: a page that never looks at it (every patient
    # page) does not load the user and check the session's origin on each render
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(_current_user)
    i18n.init_app(app)
    init_vocabulary(app)
    security.init_app(app)
    session_cookie.init_app(app)
    template_context.init_app(app)
    init_gateways(app)


def init_vocabulary(app: Flask) -> None:
    """The enums templates compare statuses and kinds with, as template globals."""
    from portal import vocabulary

    vocabulary.init_app(app)


def init_gateways(app: Flask) -> None:
    """The app's gateways, with the outbox keeping what no SMTP server or SMS provider takes."""
    from portal.services.messaging import dev_outbox

    gateways.init_app(app, dev_outbox.keep_email, dev_outbox.keep_text)


def _current_user() -> dict:
    return {"current_user": current_user}


def _sqlite_wal(app: Flask) -> None:
    """SQLite in WAL mode: readers (sign-in, the bill) go on while an import or a job writes."""
    with app.app_context():
        engines = [e for e in db.engines.values() if e.dialect.name == "sqlite"]
    for engine in engines:
        event.listen(engine, "connect", _wal)


def _wal(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # in WAL mode NORMAL stays consistent after a crash and syncs at checkpoints, not commits
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from portal.errors import register_error_handlers
    from portal.health import bp as health_bp
    from portal.patient import bp as patient_bp
    from portal.staff import bp as staff_bp
    from portal.webhooks import bp as webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(webhooks_bp)
    from portal.api import bp as api_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    if app.config["OUTBOX_ENABLED"]:
        from portal.dev import bp as dev_bp

        app.register_blueprint(dev_bp)
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from portal.cli import register

    register(app)
