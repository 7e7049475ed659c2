"""One transaction per POST, and the `Idempotency-Key` header.

A POST view calls services and returns `(payload, status)` without committing. `mutation` then
stores the answer under the client's key (if one was sent) in the same transaction and commits,
so the change and its stored answer are saved together or not at all; any error rolls both back.

A repeat with the same key and the same request (method, path and JSON body, compared after
parsing) gets the stored status and body back and changes nothing; the same key with another
request is refused with 422 "idempotency_key_reused". Only successful answers are stored: a
request that failed changed nothing and may be retried with its key. When two requests with one
key race, the unique index on (api_key_id, key) lets one commit; the other is rolled back and
answered with the winner's stored response.

Fields named in `redact` are stored as null: a link's URL carries its token, and tokens are
only ever stored as a hash, so a replayed link answer has `"url": null`.
"""

import hashlib
import json
from functools import wraps

from flask import current_app, g, request
from sqlalchemy.exc import IntegrityError

from portal.api.errors import ApiError
from portal.extensions import db
from portal.models import IdempotentResponse

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotency_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            422,
            "validation_error",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
            HEADER,
        )
    return key


def request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True) if raw.strip() else ""
    except (ValueError, RecursionError):
        body = raw.decode("latin-1")
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _stored(key: str) -> IdempotentResponse | None:
    query = db.select(IdempotentResponse).filter_by(api_key_id=g.api_key_id, key=key)
    return db.session.scalar(query)


def _json(text: str, status: int):
    return current_app.response_class(text + "\n", status=status, mimetype="application/json")


def _replay(stored: IdempotentResponse, digest: str):
    if stored.request_hash != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was already used with a different request.",
            HEADER,
        )
    response = _json(stored.body, stored.status_code)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def mutation(redact: tuple[str, ...] = ()):
    """Run a POST view as one transaction that honours `Idempotency-Key`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = idempotency_key()
            digest = request_hash() if key else ""
            if key and (stored := _stored(key)) is not None:
                return _replay(stored, digest)
            try:
                payload, status = view(*args, **kwargs)
                body = current_app.json.dumps(payload)
                if key:
                    kept = current_app.json.dumps({**payload, **dict.fromkeys(redact)})
                    record = IdempotentResponse(
                        api_key_id=g.api_key_id,
                        key=key,
                        request_hash=digest,
                        status_code=status,
                        body=kept,
                    )
                    db.session.add(record)
                db.session.commit()
            except IntegrityError as exc:
                db.session.rollback()
                if key and (stored := _stored(key)) is not None:
                    return _replay(stored, digest)
                raise ApiError(
                    409, "conflict", "The request conflicted with a concurrent change; retry it."
                ) from exc
            except Exception:
                db.session.rollback()
                raise
            return _json(body, status)

        return wrapped

    return decorator
