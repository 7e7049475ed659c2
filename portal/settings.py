"""Settings classes read from the environment.

`create_app()` picks one by `SALDO_ENV` (production, development, test); every value can be
overridden by an environment variable of the same name.
"""

import os
from datetime import timedelta
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _resource_root() -> Path:
    """Where templates/, static/ and translations/ live: the checkout's top level, or the
    package itself in an installed wheel (which ships them as portal/templates etc.)."""
    checkout = PACKAGE.parent
    if (checkout / "templates").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return PACKAGE


#: the checkout in development, the installed package in a wheel
ROOT = _resource_root()
#: files of this machine only (the SQLite default, Huey's SQLite queue, CSV uploads in flight);
#: nothing there has to be shared between servers
INSTANCE = Path(
    _env("SALDO_INSTANCE_PATH")
    or (ROOT / "instance" if ROOT != PACKAGE else Path.cwd() / "instance")
).resolve()


def engine_options(database_uri: str) -> dict:
    """Engine options for `database_uri`; SQLite waits up to 30 s for another process's
    write instead of failing at once, and is not pinged before each use (a file does not
    drop connections; the ping was one more statement per request)."""
    if database_uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'saldo.sqlite3'}")
    #: chosen for the database actually configured (see `engine_options`)
    SQLALCHEMY_ENGINE_OPTIONS = None
    REDIS_URL = _env("REDIS_URL")
    PORTAL_BASE_URL = _env("PORTAL_BASE_URL", "http://127.0.0.1:5000")

    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
    #: None means api.stripe.com; localstripe is e.g. http://127.0.0.1:8420
    STRIPE_API_BASE = _env("STRIPE_API_BASE")
    STRIPE_JS_URL = _env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    #: the checkout's Stripe elements: "payment" (Payment Element and Express Checkout
    #: Element: Apple Pay, Google Pay), "card" (Card Element and IBAN field, which is all
    #: localstripe's Stripe.js offers); unset: "payment" on Stripe itself, "card" elsewhere
    STRIPE_ELEMENTS = _env("STRIPE_ELEMENTS", "")
    #: who holds the installation's Stripe account, named as creditor on SEPA mandates of
    #: practices without an account of their own; unset: the practice itself (one-practice case)
    STRIPE_ACCOUNT_NAME = _env("STRIPE_ACCOUNT_NAME")
    #: the installation account's shortened statement descriptor, if known (2-10 characters)
    STRIPE_STATEMENT_PREFIX = _env("STRIPE_STATEMENT_PREFIX")
    #: "1": a practice's account may name its own API address (localstripe); off in production,
    #: where the server must talk to api.stripe.com only
    STRIPE_PRACTICE_API_BASE = _env("STRIPE_PRACTICE_API_BASE", "0") == "1"
    #: key(s), comma separated, newest first, each 32 characters or more (`flask secrets
    #: new-key`): encrypt every secret stored in the database; required in production
    SALDO_ENCRYPTION_KEY = _env("SALDO_ENCRYPTION_KEY")
    STRIPE_MAX_NETWORK_RETRIES = int(_env("STRIPE_MAX_NETWORK_RETRIES", "2"))
    #: scopes idempotency keys at Stripe; unset: a random id made once and kept in the database
    SALDO_INSTALLATION_ID = _env("SALDO_INSTALLATION_ID")
    #: a payment still "creating" this long after it started is looked up at Stripe
    RECONCILE_AFTER_SECONDS = int(_env("RECONCILE_AFTER_SECONDS", "300"))

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
    #: practice, made once and kept in the database (the key encrypted)
    SEAL_KEY_PATH = _env("SEAL_KEY_PATH")
    SEAL_CERT_PATH = _env("SEAL_CERT_PATH")
    SEAL_KEY_PASSPHRASE = _env("SEAL_KEY_PASSPHRASE")
    #: the root certificate (PEM) of the CA that issued SEAL_CERT_PATH: the trust root when
    #: checking seals and fetching revocation information (B-LT); unset: the certificate itself
    SEAL_CA_CERT_PATH = _env("SEAL_CA_CERT_PATH")
    #: earlier installations only: what their stored sealing keys were encrypted with (else
    #: SECRET_KEY); read, never written; drop it after `flask secrets reencrypt`
    SEAL_ENCRYPTION_KEY = _env("SEAL_ENCRYPTION_KEY")
    #: RFC 3161 Time Stamping Authority for the seal's trusted time (PAdES B-T); unset: B-B
    SEAL_TSA_URL = _env("SEAL_TSA_URL")
    SEAL_TSA_USERNAME = _env("SEAL_TSA_USERNAME")
    SEAL_TSA_PASSWORD = _env("SEAL_TSA_PASSWORD")
    SEAL_TSA_TIMEOUT = int(_env("SEAL_TSA_TIMEOUT", "10"))
    #: the TSA's root certificate (PEM), the trust root when checking timestamps
    SEAL_TSA_CERT_PATH = _env("SEAL_TSA_CERT_PATH")
    #: "1": embed certificates and revocation information as well (PAdES B-LT)
    SEAL_LTV = _env("SEAL_LTV", "0") == "1"

    #: SOGEI's certificate (SanitelCF.cer) from the Sistema TS site: with it the Sistema TS
    #: export encrypts the codici fiscali; unset: they are written in clear, for checking
    STS_CERTIFICATE_PATH = _env("STS_CERTIFICATE_PATH")

    LINK_LIFETIME_DAYS = int(_env("LINK_LIFETIME_DAYS", "45"))
    #: a plan's links live until its last installment plus this many days
    PLAN_LINK_GRACE_DAYS = int(_env("PLAN_LINK_GRACE_DAYS", "30"))
    #: new links a patient may ask for from an expired link, per invoice and day
    LINK_REQUESTS_PER_DAY = int(_env("LINK_REQUESTS_PER_DAY", "3"))
    #: messages the patient did not just ask for wait for their 08:00-21:00 window ("0": any hour)
    LINK_QUIET_HOURS = _env("LINK_QUIET_HOURS", "1") == "1"
    #: an open invoice whose links nobody opened for this many days raises an alert
    ALERT_LINK_UNOPENED_DAYS = int(_env("ALERT_LINK_UNOPENED_DAYS", "7"))
    VERIFY_MAX_FAILURES = 5
    VERIFY_WINDOW = timedelta(minutes=15)

    #: number of trusted proxies in front of the app (X-Forwarded-For/-Proto); 0 = none
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))

    #: idle timeout of every session
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    #: a staff sign-in ends this long after it began, however active
    STAFF_SESSION_MAX_AGE = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "1") == "1"
    WTF_CSRF_TIME_LIMIT = None
    #: Flask-WTF's HTTPS check wants a Referer, which `Referrer-Policy: no-referrer` removes;
    #: portal.security checks Sec-Fetch-Site / Origin instead
    WTF_CSRF_SSL_STRICT = False
    HSTS_SECONDS = int(_env("HSTS_SECONDS", "31536000"))

    #: any request body larger than this is refused with 413 (CSV imports have their own limit)
    MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
    #: Stripe webhook bodies larger than this are refused before the signature is checked
    WEBHOOK_MAX_BYTES = int(_env("WEBHOOK_MAX_BYTES", str(512 * 1024)))
    #: "text" (one line: time, level, request id, logger, message) or "json"
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("en", "it")

    #: without Redis, per-process counters (`portal.rate_limit_storage`: `memory://` without its
    #: timer thread per request)
    RATELIMIT_STORAGE_URI = _env("REDIS_URL", "saldo-memory://")
    RATELIMIT_DEFAULT = "300 per minute"
    RATELIMIT_HEADERS_ENABLED = True
    #: a Redis outage falls back to per-process limits and never fails a request
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = (
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if _env("REDIS_URL") else {}
    )


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
    #: tests of other features send at whatever hour they run; quiet-hours tests turn it on
    LINK_QUIET_HOURS = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "saldo-memory://"


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def check(config, settings: type[Config]) -> None:
    """Refuse to start with settings that cannot work: RuntimeError saying which."""
    from portal.gateways.encryption import configured_keys
    from portal.gateways.stripe_results import longest_call_seconds

    if not config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set")
    try:
        keys = configured_keys(config.get("SALDO_ENCRYPTION_KEY"))
    except ValueError as exc:
        raise RuntimeError(str(exc)) from exc
    if settings is ProductionConfig and not keys:
        raise RuntimeError(
            "SALDO_ENCRYPTION_KEY must be set in production (make one with "
            "`flask secrets new-key`): it encrypts the secrets stored in the database"
        )
    # reconciliation must not give up on a create while the call to Stripe can still run
    longest = longest_call_seconds(int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)))
    if int(config.get("RECONCILE_AFTER_SECONDS", 300)) < longest:
        raise RuntimeError(
            f"RECONCILE_AFTER_SECONDS must be at least {longest}: a call to Stripe with"
            " STRIPE_MAX_NETWORK_RETRIES retries can last that long"
        )


def config_for(name: str | None) -> type[Config]:
    """Return the settings class for `name` (default: SALDO_ENV, else production)."""
    return CONFIGS[name or _env("SALDO_ENV", "production")]
