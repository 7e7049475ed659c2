"""The second factor decided in the database: a code is accepted once, five wrong codes lock
the account for 15 minutes, and each recovery code works once."""

from datetime import UTC, datetime, timedelta

import pyotp

from portal.extensions import db
from portal.models import AuditEvent, RecoveryCode
from portal.services.access import second_factor
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.staff_client import PASSWORD, make_staff

NOW = datetime(2026, 11, 10, 9, 0, 0)


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=UTC))


def staff_with_secret():
    user = make_staff(factories.practice(), "owner")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return user


def test_a_current_code_is_accepted_once(app):
    user = staff_with_secret()
    code = code_at(user.totp_secret, NOW)
    assert second_factor.verify(user, code, SYSTEM, now=NOW) == "ok"
    assert second_factor.verify(user, code, SYSTEM, now=NOW + timedelta(seconds=5)) == "wrong"
    # the next step's code still works, and one step back is accepted for a slow clock
    later = NOW + timedelta(seconds=30)
    assert second_factor.verify(user, code_at(user.totp_secret, later), SYSTEM, now=later) == "ok"


def test_a_code_from_an_earlier_step_than_one_used_is_refused(app):
    user = staff_with_secret()
    later = NOW + timedelta(seconds=30)
    assert second_factor.verify(user, code_at(user.totp_secret, later), SYSTEM, now=later) == "ok"
    earlier = code_at(user.totp_secret, NOW)
    assert second_factor.verify(user, earlier, SYSTEM, now=later) == "wrong"


def test_five_wrong_codes_lock_the_account_for_15_minutes(app):
    user = staff_with_secret()
    results = [second_factor.verify(user, "000000", SYSTEM, now=NOW) for _ in range(5)]
    db.session.commit()
    assert results == ["wrong"] * 4 + ["locked"]
    assert user.locked_until == NOW + timedelta(minutes=15)
    assert user.code_failures == 0
    good = code_at(user.totp_secret, NOW + timedelta(minutes=14))
    assert second_factor.verify(user, good, SYSTEM, now=NOW + timedelta(minutes=14)) == "locked"
    after = NOW + timedelta(minutes=15, seconds=1)
    assert second_factor.verify(user, code_at(user.totp_secret, after), SYSTEM, now=after) == "ok"
    actions = db.session.scalars(
        db.select(AuditEvent.action)
        .where(AuditEvent.action.like("staff.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["staff.code_failed"] * 5 + ["staff.locked"]


def test_a_right_code_resets_the_count_of_wrong_ones(app):
    user = staff_with_secret()
    for _ in range(4):
        second_factor.verify(user, "111111", SYSTEM, now=NOW)
    assert user.code_failures == 4
    assert second_factor.verify(user, code_at(user.totp_secret, NOW), SYSTEM, now=NOW) == "ok"
    assert user.code_failures == 0


def test_without_a_secret_every_code_is_wrong(app):
    user = make_staff(factories.practice(), "billing")
    assert second_factor.verify(user, "123456", SYSTEM, now=NOW) == "wrong"


def test_each_recovery_code_works_once_whatever_its_spacing_and_case(app):
    user = staff_with_secret()
    codes = second_factor.new_recovery_codes(user, now=NOW)
    db.session.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    # only their hashes are kept
    stored = set(db.session.scalars(db.select(RecoveryCode.code_hash)))
    assert not stored & set(codes)
    typed = codes[0].upper().replace("-", " ")
    assert second_factor.verify(user, typed, SYSTEM, now=NOW) == "ok"
    assert second_factor.verify(user, codes[0], SYSTEM, now=NOW) == "wrong"
    assert second_factor.unused_recovery_codes(user) == 9
    # new codes replace every old one
    second_factor.new_recovery_codes(user, now=NOW)
    assert second_factor.verify(user, codes[1], SYSTEM, now=NOW) == "wrong"
    assert second_factor.unused_recovery_codes(user) == 10


def test_enabling_needs_a_code_of_the_new_secret_and_ends_other_sessions(app):
    user = make_staff(factories.practice(), "owner")
    version = user.session_version
    secret = pyotp.random_base32()
    assert second_factor.enable(user, secret, "000000", SYSTEM) is None
    assert user.totp_secret is None
    codes = second_factor.enable(user, secret, pyotp.TOTP(secret).now(), SYSTEM)
    db.session.commit()
    assert len(codes) == 10 and user.totp_secret == secret
    assert user.session_version == version + 1
    second_factor.disable(user, SYSTEM)
    db.session.commit()
    assert (user.totp_secret, user.totp_last_step) == (None, None)
    assert second_factor.unused_recovery_codes(user) == 0
    assert user.session_version == version + 2


def test_a_change_to_the_sign_in_needs_the_password_and_a_code(app):
    user = staff_with_secret()
    now_code = pyotp.TOTP(user.totp_secret).now()
    assert second_factor.confirm(user, "not the password", now_code, SYSTEM) == "wrong"
    assert user.code_failures == 0  # a wrong password is not a wrong code
    assert second_factor.confirm(user, PASSWORD, now_code, SYSTEM) == "ok"
