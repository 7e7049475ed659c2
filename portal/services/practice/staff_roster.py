"""The owner's staff page: the practice's staff, by name, each with whether wrong passwords
or codes lock the account now, read in two statements however many staff there are."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from portal.clock import utcnow
from portal.extensions import db
from portal.models.staff import LoginAttempt, StaffUser
from portal.services.practice.staff_auth import Throttle


@dataclass(frozen=True)
class StaffRow:
    user: StaffUser
    #: cannot sign in now (the rule of `staff_auth.is_locked`)
    locked: bool


@dataclass(frozen=True)
class StaffRoster:
    rows: list[StaffRow]


_THROTTLE = Throttle()


def build(
    practice_id: int, now: datetime | None = None, throttle: Throttle = _THROTTLE
) -> StaffRoster:
    """The staff of the practice, by name, with their locked state at `now`."""
    now = now or utcnow()
    query = db.select(StaffUser).filter_by(practice_id=practice_id).order_by(StaffUser.name)
    users = list(db.session.scalars(query))
    failures = _failures(users, now, throttle)
    return StaffRoster(
        [
            StaffRow(
                user,
                (user.locked_until is not None and user.locked_until > now)
                or failures[user.id] >= throttle.per_account,
            )
            for user in users
        ]
    )


def _failures(users: list[StaffUser], now: datetime, throttle: Throttle) -> Counter:
    """Wrong passwords per user within the window and since an owner last unlocked them."""
    if not users:
        return Counter()
    window_start = now - throttle.window
    rows = db.session.execute(
        db.select(LoginAttempt.email, LoginAttempt.created_at).where(
            LoginAttempt.email.in_({user.email for user in users}),
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > window_start,
        )
    ).all()
    counts: Counter = Counter()
    for user in users:
        since = max(window_start, user.unlocked_at or window_start)
        counts[user.id] = sum(1 for email, at in rows if email == user.email and at > since)
    return counts
