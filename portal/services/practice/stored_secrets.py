"""Every secret Saldo keeps in the database, re-encrypted with the newest key.

After a new key is put first in `SALDO_ENCRYPTION_KEY`, `reencrypt_all` rewrites each stored
secret (practices' Stripe secret key and webhook secret, each practice's sealing key) that is
not yet under it, including values written by the earlier schemes (Fernet tokens, sealing
keys wrapped with `SEAL_ENCRYPTION_KEY` or `SECRET_KEY`). Then the old key can be dropped.
"""

from portal.extensions import db
from portal.gateways import encryption
from portal.models import Practice, SealKey
from portal.services.plans import seal_keys

#: practice columns holding text secrets
PRACTICE_SECRETS = ("stripe_secret_key_encrypted", "stripe_webhook_secret_encrypted")


def reencrypt_all() -> int:
    """Re-encrypt every stored secret not already under the newest key; how many were.
    Nothing is written (the caller rolls back) when one cannot be opened:
    `encryption.SecretsUnavailable` names why."""
    count = 0
    for practice in db.session.scalars(db.select(Practice).order_by(Practice.id)):
        for column in PRACTICE_SECRETS:
            token = getattr(practice, column)
            if token and not encryption.is_current(token):
                encryption.write_column(practice, column, encryption.read_column(practice, column))
                count += 1
    for row in db.session.scalars(db.select(SealKey).order_by(SealKey.practice_id)):
        if not encryption.is_current(row.key_encrypted):
            context = seal_keys.context(row.practice_id)
            key_pem = encryption.decrypt(row.key_encrypted, context)
            row.key_encrypted = encryption.encrypt(key_pem, context)
            count += 1
    return count
