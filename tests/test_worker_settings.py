"""Settings of the workers: the consumers' hourly schedule, and a reconciliation that never
gives up on a Stripe call still running."""

from datetime import datetime

import pytest

from portal import create_app, tasks


def test_the_hourly_schedule_is_a_crontab_or_off():
    five_past = tasks.schedule(None)
    assert five_past(datetime(2026, 12, 1, 9, 5)) is True
    assert five_past(datetime(2026, 12, 1, 9, 6)) is False
    nightly = tasks.schedule("30 2 * * *")
    assert nightly(datetime(2026, 12, 1, 2, 30)) is True
    assert nightly(datetime(2026, 12, 1, 3, 30)) is False
    assert tasks.schedule(" OFF ") is None
    with pytest.raises(ValueError, match="five crontab fields"):
        tasks.schedule("5 *")


def test_the_reconciliation_may_not_give_up_before_a_stripe_call_can_end():
    # two retries: three tries of 80 s and two pauses of 2 s
    with pytest.raises(RuntimeError, match="RECONCILE_AFTER_SECONDS must be at least 244"):
        create_app(
            {"SALDO_ENV": "test", "RECONCILE_AFTER_SECONDS": 243, "STRIPE_MAX_NETWORK_RETRIES": 2}
        )
    app = create_app(
        {"SALDO_ENV": "test", "RECONCILE_AFTER_SECONDS": 244, "STRIPE_MAX_NETWORK_RETRIES": 2}
    )
    assert app.config["RECONCILE_AFTER_SECONDS"] == 244
