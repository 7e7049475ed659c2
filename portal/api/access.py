"""The calling key's practice, and objects looked up only within it."""

from flask import g

from portal.api.errors import not_found
from portal.api.parsing import MAX_ID
from portal.extensions import db
from portal.models import Practice


def practice() -> Practice:
    return db.session.get(Practice, g.practice_id)


def scoped(model, object_id: int, what: str):
    """The object if it belongs to the key's practice; otherwise 404, as if it did not exist."""
    obj = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if obj is None or obj.practice_id != g.practice_id:
        raise not_found(what)
    return obj
