"""The views' unit of work: a request's changes are committed together once the service
calls succeed, or rolled back when a service refuses, the refusal shown to the user.

Services leave the commit to their caller (except where a commit must be durable before an
external call, or another process must see it: `tests/test_service_commits.py` lists each with
its reason); a view runs its change through one of these:

- `commit_or_refuse(change)`: the outcome, for views that show the refusal on a form;
- `commit_or_flash(change)`: the refusal flashed as an error (staff pages);
- `commit_or_error(change, status, code)`: the refusal as the JSON API's error response.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

from portal.extensions import db
from portal.services.core.refusals import Refused

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a change came to: its value when committed, else the refusal (rolled back)."""

    value: T | None = None
    refusal: Refused | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def __bool__(self) -> bool:
        return self.ok

    @property
    def message(self) -> str:
        """The refusal's message ("" when the change was committed)."""
        return str(self.refusal) if self.refusal is not None else ""


def commit_or_refuse(
    change: Callable[[], T], refusal: type[Refused] | tuple[type[Refused], ...] = Refused
) -> Outcome[T]:
    """Run `change` and commit; when it raises `refusal` (any `Refused` by default), roll
    back and return the refusal instead."""
    try:
        value = change()
    except refusal as exc:
        db.session.rollback()
        return Outcome(refusal=exc)
    db.session.commit()
    return Outcome(value=value)


def commit_or_flash(
    change: Callable[[], T], refusal: type[Refused] | tuple[type[Refused], ...] = Refused
) -> Outcome[T]:
    """Run `change` and commit; when a service refuses, roll back and flash the refusal's
    message as an error. The outcome is false when refused."""
    outcome = commit_or_refuse(change, refusal)
    if not outcome.ok:
        flash(outcome.message, "error")
    return outcome


def commit_or_error(
    change: Callable[[], T],
    status: int = 422,
    code: str = "validation_error",
    field: str | None = None,
    refusal: type[Refused] | tuple[type[Refused], ...] = Refused,
) -> T:
    """Run `change` and commit, returning its value; when a service refuses, roll back and
    raise the JSON API's error (`status`, `code`, the refusal's message, `field`)."""
    from portal.api.errors import ApiError

    outcome = commit_or_refuse(change, refusal)
    if not outcome.ok:
        refused = outcome.refusal
        message = refused.args[0] if refused.args else str(refused)
        raise ApiError(status, code, message, field) from refused
    return outcome.value
