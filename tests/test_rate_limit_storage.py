"""Per-process rate-limit counters: counted as `memory://` counts, expired when their window
has passed, with no thread started per request."""

import threading

import limits.storage.memory
from limits import parse
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from portal.extensions import db, limiter
from portal.rate_limit_storage import SweptMemoryStorage
from tests.conftest import _make_app


class CountedTimer(threading.Timer):
    started = 0

    def start(self):
        CountedTimer.started += 1
        super().start()


def test_counts_as_the_memory_storage_does_without_a_thread_per_hit(monkeypatch):
    storage = SweptMemoryStorage()
    monkeypatch.setattr(limits.storage.memory.threading, "Timer", CountedTimer)
    CountedTimer.started = 0
    fixed = FixedWindowRateLimiter(storage)
    three = parse("3 per minute")
    assert [fixed.hit(three, "203.0.113.7") for _ in range(5)] == [True] * 3 + [False] * 2
    assert fixed.hit(three, "203.0.113.8") is True
    moving = MovingWindowRateLimiter(storage)
    assert [moving.hit(three, "a") for _ in range(4)] == [True, True, True, False]
    assert CountedTimer.started == 0


def test_the_sweep_drops_expired_counters_and_keeps_live_ones():
    storage = SweptMemoryStorage()
    storage.incr("gone", expiry=0)
    storage.incr("live", expiry=60)
    assert set(storage.storage) == {"gone", "live"}
    storage.sweep()
    assert dict(storage.storage) == {"live": 1}
    assert set(storage.expirations) == {"live"}


def test_the_app_counts_in_it_without_redis(sqlite_url):
    app = _make_app(sqlite_url, RATELIMIT_ENABLED=True)
    try:
        assert app.config["RATELIMIT_STORAGE_URI"] == "saldo-memory://"
        assert type(limiter.storage) is SweptMemoryStorage
    finally:
        with app.app_context():
            db.engine.dispose()
