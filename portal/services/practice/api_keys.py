"""Per-practice API keys: shown once, stored as a hash, revocable."""

import hashlib
import secrets

from portal.clock import utcnow
from portal.extensions import db
from portal.models import ApiKey, Practice

PREFIX = "sk_saldo_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(practice: Practice, name: str) -> tuple[ApiKey, str]:
    """A new key for `practice`; returns (record, key). The key is not stored."""
    key = PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        practice_id=practice.id, name=name.strip()[:100], prefix=key[:12], key_hash=_hash(key)
    )
    db.session.add(record)
    db.session.flush()
    return record, key


def authenticate(key: str) -> ApiKey | None:
    """The live key matching `key`, if any; its last use is noted (the caller commits)."""
    if not key.startswith(PREFIX) or len(key) > 100:
        return None
    record = db.session.scalar(db.select(ApiKey).filter_by(key_hash=_hash(key)))
    if record is None or record.revoked_at is not None:
        return None
    record.last_used_at = utcnow()
    return record


def revoke(record: ApiKey) -> None:
    if record.revoked_at is None:
        record.revoked_at = utcnow()
