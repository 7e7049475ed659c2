"""Italian stamp duty: €2.00 on exempt amounts above €77.47, recovered from the patient only
when what is left of the services stays above the threshold (no database)."""

from hypothesis import given
from hypothesis import strategies as st

from portal.services.fiscal import stamp
from portal.services.fiscal.stamp import STAMP_DUTY_MINOR, THRESHOLD_MINOR, Split


def test_the_threshold_is_exclusive_to_the_cent():
    assert [stamp.duty_on(amount) for amount in (0, 1, 7746, 7747, 7748, 10**9)] == [
        0,
        0,
        0,
        0,
        200,
        200,
    ]


def test_the_practice_bears_the_duty_when_recovering_it_would_leave_too_little():
    # 79.47 paid: 77.47 of services once the €2 is taken out, not above the threshold
    assert stamp.split(7947, True) == Split(7947, 200, False)
    assert stamp.split(7948, True) == Split(7748, 200, True)
    assert stamp.split(1, True) == Split(1, 0, False)
    assert stamp.split(200, True) == Split(200, 0, False)


@given(paid=st.integers(1, 10**10), charged=st.booleans())
def test_the_split_accounts_for_every_cent_paid(paid, charged):
    found = stamp.split(paid, charged)
    if found.charged:
        # the patient paid services and duty: together, exactly the amount paid
        assert found.exempt_minor + found.stamp_duty_minor == paid
        assert found.exempt_minor > THRESHOLD_MINOR and charged
    else:
        assert found.exempt_minor == paid
    # the duty is due exactly when the services invoiced are above the threshold
    assert found.stamp_duty_minor == (
        STAMP_DUTY_MINOR if found.exempt_minor > THRESHOLD_MINOR else 0
    )


@given(paid=st.integers(1, 10**10))
def test_recovering_the_duty_never_raises_the_services_invoiced(paid):
    kept, recovered = stamp.split(paid, False), stamp.split(paid, True)
    assert recovered.exempt_minor <= kept.exempt_minor
    assert kept.exempt_minor - recovered.exempt_minor in (0, STAMP_DUTY_MINOR)
