"""The one place that reads the wall clock, so services can be handed a fixed `now`."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now; every stored timestamp is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
