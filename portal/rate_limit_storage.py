"""Per-process rate-limit counters without a thread per request (`saldo-memory://`).

The `limits` package's in-memory storage expires counters from a `threading.Timer` of 10 ms
that it starts again, when the last one has finished, on every counted request: under load
each rate-limited request started a thread and waited for it to run (the verify page, the
checkout). This storage counts the same way and drops expired counters the same way, from
the request that finds a sweep due, at most once a second. A counter is always read as
expired once its window has passed (`MemoryStorage.get` checks), so the sweep only frees
memory.
"""

import threading

from limits.storage import MemoryStorage

from portal import clock

SCHEME = "saldo-memory"


class SweptMemoryStorage(MemoryStorage):
    """`memory://` counters, swept by the requests themselves instead of a timer thread."""

    STORAGE_SCHEME = [SCHEME]
    #: seconds between two sweeps of expired counters and moving-window entries
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer the parent class starts, stopped before it runs
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the parent's private hook
        now = clock.timestamp()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_EVERY
            self.sweep()
        finally:
            self._sweeping.release()

    def sweep(self) -> None:
        """Drop every expired counter and moving-window entry now."""
        self._MemoryStorage__expire_events()
