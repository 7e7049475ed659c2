"""Settings classes read from the environment.

`create_app()` picks one by `SALDO_ENV` (production, development, test); every value can be
overridden by an environment variable of the same name.
"""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'saldo.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL")
    PORTAL_BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000")

    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
    #: None means api.stripe.com; localstripe is e.g. http://127.0.0.1:8420
    STRIPE_API_BASE = _env("STRIPE_API_BASE")
    STRIPE_JS_URL = _env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    #: who holds the installation's Stripe account, named as creditor on SEPA mandates of
    #: practices without an account of their own; unset: the practice itself (one-practice case)
    STRIPE_ACCOUNT_NAME = _env("STRIPE_ACCOUNT_NAME")
    #: the installation account's shortened statement descriptor, if known (2-10 characters)
    STRIPE_STATEMENT_PREFIX = _env("STRIPE_STATEMENT_PREFIX")
    #: "1": a practice's account may name its own API address (localstripe); off in production,
    #: where the server must talk to api.stripe.com only
    STRIPE_PRACTICE_API_BASE = _env("STRIPE_PRACTICE_API_BASE", "0") == "1"
    #: Fernet key(s), comma separated, newest first: encrypt practices' Stripe secrets
    SALDO_ENCRYPTION_KEY = _env("SALDO_ENCRYPTION_KEY")

    #: smtp://user:password@host:port, smtps://… or smtp+starttls://…; unset: the outbox
    SMTP_URL = _env("SMTP_URL")
    MAIL_FROM = _env("MAIL_FROM", "Saldo <no-reply@saldo.invalid>")
    OUTBOX_ENABLED = _env("OUTBOX_ENABLED", "0") == "1"
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER = _env("TWILIO_FROM_NUMBER")
    #: only for tests and proxies; Twilio itself is https://api.twilio.com
    TWILIO_API_BASE = _env("TWILIO_API_BASE")

    #: the key and certificate that seal signed agreements; unset: one self-signed pair per
    #: practice, made on first use under instance/seal/
    SEAL_KEY_PATH = _env("SEAL_KEY_PATH")
    SEAL_CERT_PATH = _env("SEAL_CERT_PATH")
    SEAL_KEY_PASSPHRASE = _env("SEAL_KEY_PASSPHRASE")

    LINK_LIFETIME_DAYS = int(_env("LINK_LIFETIME_DAYS", "45"))
    #: an open invoice whose links nobody opened for this many days raises an alert
    ALERT_LINK_UNOPENED_DAYS = int(_env("ALERT_LINK_UNOPENED_DAYS", "7"))
    VERIFY_MAX_FAILURES = 5
    VERIFY_WINDOW = timedelta(minutes=15)

    #: number of trusted proxies in front of the app (X-Forwarded-For/-Proto); 0 = none
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))

    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "1") == "1"
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("en", "it")

    RATELIMIT_STORAGE_URI = _env("REDIS_URL", "memory://")
    RATELIMIT_DEFAULT = "300 per minute"
    RATELIMIT_HEADERS_ENABLED = True


class ProductionConfig(Config):
    pass


class DevelopmentConfig(Config):
    SECRET_KEY = _env("SECRET_KEY", "development-only-secret-key")
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "0") == "1"
    OUTBOX_ENABLED = _env("OUTBOX_ENABLED", "1") == "1"
    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY", "sk_test_saldo_demo")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY", "pk_test_saldo_demo")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET", "whsec_saldo_demo")
    STRIPE_API_BASE = _env("STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_JS_URL = _env("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")
    STRIPE_ACCOUNT_NAME = _env("STRIPE_ACCOUNT_NAME", "Saldo Demo")
    STRIPE_PRACTICE_API_BASE = _env("STRIPE_PRACTICE_API_BASE", "1") == "1"
    SALDO_ENCRYPTION_KEY = _env(
        "SALDO_ENCRYPTION_KEY", "ZGV2ZWxvcG1lbnQtb25seS1zYWxkby1rZXktMDAwMDA="
    )


class TestConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def config_for(name: str | None) -> type[Config]:
    """Return the settings class for `name` (default: SALDO_ENV, else production)."""
    return CONFIGS[name or _env("SALDO_ENV", "production")]
