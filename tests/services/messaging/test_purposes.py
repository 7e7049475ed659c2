"""What each kind of message is, and the one retry rule every message follows."""

from datetime import datetime, timedelta

import pytest

from portal.services.messaging.purposes import PURPOSES, RETRY_AFTER, retry_at

NOW = datetime(2026, 3, 29, 0, 30)


@pytest.mark.parametrize(
    ("attempts", "after"),
    [
        (1, timedelta(minutes=5)),
        (2, timedelta(minutes=30)),
        (3, timedelta(hours=2)),
        (4, timedelta(hours=8)),
    ],
)
def test_each_failure_waits_longer(attempts, after):
    assert retry_at(attempts, NOW) == NOW + after


def test_after_the_fourth_failure_the_message_is_given_up():
    assert len(RETRY_AFTER) == 4
    assert retry_at(5, NOW) is None
    assert retry_at(9, NOW) is None


def test_the_waits_grow():
    assert list(RETRY_AFTER) == sorted(RETRY_AFTER)
    assert len(set(RETRY_AFTER)) == len(RETRY_AFTER)


def test_only_answers_to_the_patient_skip_quiet_hours():
    asked = {name for name, purpose in PURPOSES.items() if purpose.patient_asked}
    assert asked == {"link_request", "receipt", "plan_active"}


@pytest.mark.parametrize(
    ("name", "prefix", "sent"),
    [
        ("link", "link", "link.sent"),
        ("link_request", "link", "link.sent"),
        ("reminder", "reminder", "reminder.sent"),
        ("receipt", "receipt", "receipt.emailed"),
        ("plan_active", "plan.email", "plan.email.plan_active"),
        ("practice_plan_past_due", "plan.email", "plan.email.practice_plan_past_due"),
        ("question_answered", "question_answer", "question_answer.sent"),
    ],
)
def test_audit_names_of_each_purpose(name, prefix, sent):
    purpose = PURPOSES[name]
    assert (purpose.audit_prefix, purpose.sent_action) == (prefix, sent)


def test_the_shape_of_each_purpose():
    assert PURPOSES["reminder"].email is None  # a reminder's email is chosen by its tone
    assert PURPOSES["receipt"].sms is None  # receipts are emailed, never texted
    assert PURPOSES["receipt"].record and PURPOSES["plan_past_due"].record
    assert not PURPOSES["link"].record
    practice = PURPOSES["practice_plan_past_due"]
    assert practice.to_practice and not practice.link
    assert [n for n, p in PURPOSES.items() if p.to_practice] == ["practice_plan_past_due"]
    answered = PURPOSES["question_answered"]
    assert (answered.lands_on, answered.open_only) == ("question", True)
    assert [n for n, p in PURPOSES.items() if p.open_only] == ["question_answered"]
    assert all(name == purpose.name for name, purpose in PURPOSES.items())


def test_every_sent_action_has_a_timeline_label():
    from portal.services.core.audit_actions import LABELS

    assert {p.sent_action for p in PURPOSES.values()} <= set(LABELS)
