"""A practice's reminder cadence: the 3-3-3 default, stored steps in day order, unknown
tones read as friendly; and what a run reports."""

from datetime import date, time

import pytest

from portal.extensions import db
from portal.models import CadenceStep
from portal.services.collections import cadence_steps
from portal.services.collections.cadence_steps import DEFAULT_CADENCE, Moment, Report, Step
from tests import factories


def test_the_default_cadence_is_three_calls_three_emails_three_letters():
    channels = [step.channel for step in DEFAULT_CADENCE]
    assert channels == ["email"] + ["call"] * 3 + ["email"] * 3 + ["letter"] * 3
    assert [step.day_offset for step in DEFAULT_CADENCE] == [-3, 7, 14, 21, 28, 35, 42, 49, 56, 63]
    assert [step.position for step in DEFAULT_CADENCE] == list(range(1, 11))
    assert DEFAULT_CADENCE[0].tone == "courtesy"
    assert DEFAULT_CADENCE[-1].tone == "final"
    assert {step.tone for step in DEFAULT_CADENCE} <= set(cadence_steps.TONES)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (time(7, 59, 59), False),
        (time(8, 0), True),
        (time(20, 59, 59), True),
        (time(21, 0), False),
        (time(0, 0), False),
    ],
)
def test_a_moment_is_in_the_window_from_eight_until_nine_in_the_evening(at, inside):
    assert Moment(date(2026, 3, 29), at).in_window is inside


def test_reports_of_several_days_add_up_field_by_field():
    first = Report(invoices=2, emails=1, texts=2, letters=0, call_tasks=1, skipped=1)
    first.done.append((1, 2, "call", "created"))
    second = Report(invoices=3, emails=2, letters=1, failed=1, retried=2, waiting=4, stopped=1)
    second.errors = 1
    second.done.append((5, 8, "letter", "queued"))
    first.add(second)
    assert (first.invoices, first.emails, first.texts, first.letters) == (5, 3, 2, 1)
    assert (first.call_tasks, first.skipped, first.failed, first.retried) == (1, 1, 1, 2)
    assert (first.waiting, first.stopped, first.errors) == (4, 1, 1)
    assert first.messages == 6  # emails, texts and letters; call tasks are not messages
    assert first.done == [(1, 2, "call", "created"), (5, 8, "letter", "queued")]
    assert second.done == [(5, 8, "letter", "queued")]  # the other run is left as it was


def test_a_practice_without_steps_has_the_default(app):
    practice = factories.practice()
    assert cadence_steps.steps_for(practice.id) == DEFAULT_CADENCE
    assert cadence_steps.step_at(practice.id, 10) == Step(10, "letter", 63, "final")
    assert cadence_steps.step_at(practice.id, 11) is None


def test_stored_steps_are_ordered_by_day_then_position(app):
    practice, other = factories.practice(), factories.practice()
    for position, channel, offset, tone in (
        (3, "letter", 30, "final"),
        (1, "email", 0, "courtesy"),
        (2, "sms", 0, "friendly"),
        (4, "call", -5, "firm"),
    ):
        db.session.add(
            CadenceStep(
                practice_id=practice.id,
                position=position,
                channel=channel,
                day_offset=offset,
                tone=tone,
            )
        )
    db.session.add(
        CadenceStep(practice_id=other.id, position=1, channel="email", day_offset=3, tone="firm")
    )
    db.session.flush()
    expected = (
        Step(4, "call", -5, "firm"),
        Step(1, "email", 0, "courtesy"),
        Step(2, "sms", 0, "friendly"),
        Step(3, "letter", 30, "final"),
    )
    assert cadence_steps.steps_for(practice.id) == expected
    assert cadence_steps.step_at(practice.id, 2) == Step(2, "sms", 0, "friendly")
    assert cadence_steps.all_cadences() == {
        practice.id: expected,
        other.id: (Step(1, "email", 3, "firm"),),
    }
