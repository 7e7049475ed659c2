"""The order of the run: tests that start processes or servers of their own go first, so that
under `pytest -n` they run while the many short tests fill the other workers, instead of
being the last tests of a worker while the others wait."""

import pytest

#: node-id prefixes of tests that start processes (workers racing, a crash, the production
#: shape, the wheel's own virtualenv) or Chromium; the slowest first
FIRST = (
    "tests/deploy/test_production_shape.py",
    "tests/services/payments/test_charge_race.py",
    "tests/services/billing/test_desk_race.py",
    "tests/deploy/test_wheel.py",
    "tests/services/payments/test_reconcile.py",
    "tests/services/fiscal/test_fiscal_numbering.py",
    "tests/services/collections/test_letters.py",
    "tests/api/test_schemathesis.py",
)
#: markers of slow tests not listed above, after them
FIRST_MARKERS = ("deploy", "browser")


def slow_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place: FIRST (in its order), then FIRST_MARKERS, then the rest, each
    group in collection order."""

    def rank(item: pytest.Item) -> int:
        for index, prefix in enumerate(FIRST):
            if item.nodeid.startswith(prefix):
                return index
        if any(item.get_closest_marker(name) for name in FIRST_MARKERS):
            return len(FIRST)
        return len(FIRST) + 1

    items.sort(key=rank)
