"""The staff views' one way to run a service change: commit it, or roll back and show why."""

from collections.abc import Callable

from flask import flash

from portal.extensions import db
from portal.services.core.refusals import Refused


def commit_or_flash(change: Callable[[], object]) -> bool:
    """Run `change` and commit; when a service refuses, roll back, flash the refusal's message
    as an error and return False."""
    try:
        change()
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    db.session.commit()
    return True
