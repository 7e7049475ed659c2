"""Which Stripe account a practice's money goes to, and how its payments are labelled.

A practice either has its own Stripe account (publishable key, secret key and webhook secret,
the secrets encrypted at rest) or uses the installation's (STRIPE_*), the one-practice default.
Every PaymentIntent names the practice and the invoice in its description, carries the
practice's statement descriptor suffix, and the practice and invoice ids in its metadata.
Events received at a practice's own webhook endpoint apply only to that practice's payments.
"""

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from portal import gateways
from portal.gateways import encryption
from portal.gateways.stripe_gateway import GatewayError, KeyRefused
from portal.models import Invoice, Practice
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused

#: Stripe's limit on the whole descriptor, prefix + "* " + suffix
DESCRIPTOR_MAX = 22
#: Stripe's limits on the shortened descriptor (the prefix)
PREFIX_MIN, PREFIX_MAX = 2, 10
FORBIDDEN = set("<>\\'\"*")
STRIPE_JS = "https://js.stripe.com/v3/"


class AccountRefused(Refused, ValueError):
    """Credentials or a descriptor Stripe would not accept; `field` names the form field."""

    code = RefusalCode.STRIPE_ACCOUNT

    def __init__(self, message, field: str):
        super().__init__(str(message))
        self.field = field


@dataclass(frozen=True)
class AccountSummary:
    """What the settings page may show: never a secret, only its last four characters."""

    own: bool
    publishable_key: str | None
    secret_key_ending: str | None
    webhook_secret_ending: str | None
    api_base: str | None


@dataclass(frozen=True)
class ChargeLabels:
    description: str
    descriptor_suffix: str | None
    metadata: dict[str, str]


def _stored_secret_key(practice: Practice) -> str | None:
    return encryption.read_column(practice, "stripe_secret_key_encrypted")


def summary(practice: Practice) -> AccountSummary:
    """The practice's Stripe account as the owner may see it."""

    def ending(column: str) -> str | None:
        try:
            secret = encryption.read_column(practice, column)
        except encryption.SecretsUnavailable:
            return "????"  # stored under another SALDO_ENCRYPTION_KEY
        return secret[-4:] if secret else None

    return AccountSummary(
        own=practice.has_own_stripe_account,
        publishable_key=practice.stripe_publishable_key,
        secret_key_ending=ending("stripe_secret_key_encrypted"),
        webhook_secret_ending=ending("stripe_webhook_secret_encrypted"),
        api_base=practice.stripe_api_base,
    )


def _mode(key: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        for mode in ("test", "live"):
            if key.startswith(f"{prefix}_{mode}_") and len(key) > len(prefix) + 10:
                return mode
    return None


def set_credentials(
    practice: Practice,
    actor: Actor,
    *,
    publishable_key: str = "",
    secret_key: str = "",
    webhook_secret: str = "",
    api_base: str | None = None,
) -> None:
    """Give the practice its own Stripe account, or replace some of its credentials.

    Blank values keep what is stored; the first time, both keys are needed. `api_base`
    None keeps the stored base, "" clears it. The caller commits."""
    publishable_key, secret_key = publishable_key.strip(), secret_key.strip()
    webhook_secret = webhook_secret.strip()
    publishable = publishable_key or practice.stripe_publishable_key or ""
    if not publishable_key and not secret_key and not practice.has_own_stripe_account:
        raise AccountRefused(_l("Enter the publishable key and the secret key."), "secret_key")
    if not secret_key and not practice.has_own_stripe_account:
        raise AccountRefused(_l("Enter the secret key."), "secret_key")
    if not publishable:
        raise AccountRefused(_l("Enter the publishable key."), "publishable_key")
    pk_mode = _mode(publishable, ("pk",))
    if pk_mode is None:
        raise AccountRefused(
            _l("A publishable key starts with pk_test_ or pk_live_."), "publishable_key"
        )
    if secret_key:
        sk_mode = _mode(secret_key, ("sk", "rk"))
        if sk_mode is None:
            raise AccountRefused(
                _l("A secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_."),
                "secret_key",
            )
    else:
        sk_mode = _mode(_stored_secret_key(practice), ("sk", "rk"))
    if sk_mode != pk_mode:
        raise AccountRefused(
            _l("Both keys must be test keys, or both live keys, of the same account."),
            "secret_key",
        )
    if webhook_secret and (not webhook_secret.startswith("whsec_") or len(webhook_secret) < 12):
        raise AccountRefused(_l("A webhook signing secret starts with whsec_."), "webhook_secret")
    if api_base and not current_app.config.get("STRIPE_PRACTICE_API_BASE"):
        raise AccountRefused(_l("This installation talks to Stripe itself only."), "api_base")
    if api_base:
        parts = urlsplit(api_base.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AccountRefused(
                _l("Enter the address of the API, e.g. http://127.0.0.1:8420."), "api_base"
            )
    base = practice.stripe_api_base if api_base is None else api_base.strip().rstrip("/") or None
    if secret_key or base != practice.stripe_api_base:
        _check_key(secret_key or _stored_secret_key(practice), base)
    changed = []
    if publishable_key and publishable_key != practice.stripe_publishable_key:
        practice.stripe_publishable_key = publishable_key
        changed.append("publishable_key")
    if secret_key:
        encryption.write_column(practice, "stripe_secret_key_encrypted", secret_key)
        changed.append("secret_key")
    if webhook_secret:
        encryption.write_column(practice, "stripe_webhook_secret_encrypted", webhook_secret)
        changed.append("webhook_secret")
    if base != practice.stripe_api_base:
        practice.stripe_api_base = base
        changed.append("api_base")
    if changed:
        audit.record(
            "practice.stripe_account_set", practice_id=practice.id, actor=actor, changed=changed
        )


def _check_key(secret_key: str, api_base: str | None) -> None:
    try:
        gateways.check_stripe_key(secret_key, api_base)
    except KeyRefused as exc:
        raise AccountRefused(_l("Stripe did not accept this secret key."), "secret_key") from exc
    except GatewayError as exc:
        raise AccountRefused(
            _l("Stripe could not be reached to check the key. Nothing was changed."),
            "secret_key",
        ) from exc


def clear_credentials(practice: Practice, actor: Actor) -> None:
    """Back to the installation's Stripe account. The caller commits."""
    if not practice.has_own_stripe_account and not practice.stripe_publishable_key:
        return
    practice.stripe_publishable_key = None
    practice.stripe_secret_key_encrypted = None
    practice.stripe_webhook_secret_encrypted = None
    practice.stripe_api_base = None
    audit.record("practice.stripe_account_cleared", practice_id=practice.id, actor=actor)


def _prefix(practice: Practice) -> str | None:
    if practice.has_own_stripe_account:
        return practice.statement_descriptor_prefix
    return current_app.config.get("STRIPE_STATEMENT_PREFIX") or None


def _check_text(text: str, field: str) -> None:
    if any(ch in FORBIDDEN for ch in text):
        raise AccountRefused(_l("Leave out the characters < > \\ ' \" and *."), field)
    if not text.isascii() or not text.isprintable():
        raise AccountRefused(_l("Use letters without accents, digits and spaces only."), field)
    if not any(ch.isalpha() for ch in text):
        raise AccountRefused(_l("Use at least one letter."), field)


def check_descriptor(prefix: str | None, suffix: str | None) -> None:
    """Refuse a prefix or suffix Stripe would reject: at most 22 characters together with
    "* ", none of < > \\ ' " *, at least one letter. An unknown prefix counts as 10."""
    if prefix:
        _check_text(prefix, "statement_descriptor_prefix")
        if not PREFIX_MIN <= len(prefix) <= PREFIX_MAX:
            raise AccountRefused(
                _l("The prefix has 2 to 10 characters."), "statement_descriptor_prefix"
            )
    if suffix:
        _check_text(suffix, "statement_descriptor_suffix")
        room = DESCRIPTOR_MAX - 2 - len(prefix or "x" * PREFIX_MAX)
        if len(suffix) > room:
            raise AccountRefused(
                _l(
                    "With the prefix, the suffix may have at most %(count)s characters.", count=room
                ),
                "statement_descriptor_suffix",
            )


def set_descriptor(practice: Practice, prefix: str, suffix: str, actor: Actor) -> None:
    """Store the statement descriptor suffix (and, for a practice's own account, the prefix
    set at Stripe) after checking them against Stripe's rules. The caller commits."""
    prefix, suffix = " ".join(prefix.split()), " ".join(suffix.split())
    own = practice.has_own_stripe_account
    check_descriptor(prefix if own else _prefix(practice), suffix)
    if own:
        practice.statement_descriptor_prefix = prefix or None
    practice.statement_descriptor_suffix = suffix or None
    audit.record("practice.statement_descriptor_set", practice_id=practice.id, actor=actor)


def descriptor_suffix(practice: Practice) -> str | None:
    """The suffix on the patient's bank statement: the practice's own, or its name made to fit."""
    if practice.statement_descriptor_suffix:
        return practice.statement_descriptor_suffix
    folded = unicodedata.normalize("NFKD", practice.name).encode("ascii", "ignore").decode()
    cleaned = " ".join("".join(ch for ch in folded if ch not in FORBIDDEN).split())
    room = DESCRIPTOR_MAX - 2 - len(_prefix(practice) or "x" * PREFIX_MAX)
    cleaned = cleaned[:room].strip()
    return cleaned if any(ch.isalpha() for ch in cleaned) else None


def charge_labels(invoice: Invoice) -> ChargeLabels:
    """Description, statement descriptor suffix and metadata of a PaymentIntent for `invoice`."""
    practice = invoice.practice
    with force_locale(practice.default_locale):
        description = gettext(
            "%(practice)s, invoice %(number)s", practice=practice.name, number=invoice.number
        )
    return ChargeLabels(
        description=description,
        descriptor_suffix=descriptor_suffix(practice),
        metadata={
            "saldo_practice_id": str(practice.id),
            "saldo_invoice_id": str(invoice.id),
            "saldo_invoice_number": invoice.number,
        },
    )


def account_holder(practice: Practice) -> str:
    """Who receives the money, named as creditor on a SEPA mandate."""
    if practice.has_own_stripe_account:
        return practice.name
    return current_app.config.get("STRIPE_ACCOUNT_NAME") or practice.name


def checkout_keys(practice: Practice) -> dict[str, str]:
    """What a patient page of `practice` needs to pay: the account's publishable key, the
    Stripe.js address, and the account holder named on the SEPA mandate."""
    if practice.has_own_stripe_account:
        base = practice.stripe_api_base
        key = practice.stripe_publishable_key or ""
        js = f"{base}/js.stripe.com/v3/" if base else STRIPE_JS
    else:
        key = current_app.config["STRIPE_PUBLISHABLE_KEY"]
        js = current_app.config["STRIPE_JS_URL"]
    return {
        "stripe_key": key,
        "stripe_js": js,
        "account_holder": account_holder(practice),
        "stripe_elements": elements_mode(practice),
    }


class ElementsMode(StrEnum):
    """The Stripe elements a checkout uses."""

    #: the Payment Element, with wallets (Apple Pay, Google Pay, Link)
    PAYMENT = "payment"
    #: the Card Element (and IBAN), which localstripe's Stripe.js has
    CARD = "card"


def elements_mode(practice: Practice) -> ElementsMode:
    """Which Stripe elements the checkout uses: STRIPE_ELEMENTS when set ("payment" or
    "card"); otherwise the Payment Element with wallets ("payment") where the practice's
    account is Stripe itself, and the Card Element ("card") against localstripe, whose
    Stripe.js has no Payment Element."""
    chosen = (current_app.config.get("STRIPE_ELEMENTS") or "").strip().lower()
    if chosen in set(ElementsMode):
        return ElementsMode(chosen)
    if practice.has_own_stripe_account:
        base = practice.stripe_api_base
    else:
        base = current_app.config["STRIPE_API_BASE"]
    if not base or urlsplit(base).hostname == "api.stripe.com":
        return ElementsMode.PAYMENT
    return ElementsMode.CARD


def endpoint_accepts(endpoint: Practice | None, practice: Practice) -> bool:
    """Whether an event received at `endpoint`'s webhook (None: the installation's) may
    change a payment of `practice`: only events from the account that holds the money."""
    if endpoint is None:
        return not practice.has_own_stripe_account
    return endpoint.id == practice.id and practice.has_own_stripe_account


#: while a webhook is applied: (True, the practice whose endpoint received it, or None)
_receiving: ContextVar[tuple[bool, Practice | None]] = ContextVar(
    "saldo_stripe_endpoint", default=(False, None)
)


@contextmanager
def receiving(endpoint: Practice | None) -> Iterator[None]:
    """Apply an event received at `endpoint`'s webhook (None: the installation's): payments
    of other accounts are not found, and Stripe is asked through that account."""
    token = _receiving.set((True, endpoint))
    try:
        yield
    finally:
        _receiving.reset(token)


def receiving_practice() -> Practice | None:
    """The practice whose account sent the event being applied (None: the installation)."""
    return _receiving.get()[1]


def in_scope(practice: Practice) -> bool:
    """False while applying an event from an account that does not hold `practice`'s money."""
    active, endpoint = _receiving.get()
    return not active or endpoint_accepts(endpoint, practice)
