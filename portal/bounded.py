"""A map of at most `size` entries that a process keeps across requests (what it has already
signed or verified); when full, the entry put longest ago makes room for the new one.

Safe to share between a process's threads: writers take a lock, so the map never holds more
than `size` entries and no put is lost to another; readers take none, and see for a key
either the value last put for it or nothing (an entry evicted meanwhile).
"""

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """At most `size` entries; putting a key again makes it the newest."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("a bounded map holds at least one entry")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.size:
                self._entries.popitem(last=False)
            self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def clear(self) -> None:
        """Forget every entry (a new signing key, or a test starting over)."""
        with self._lock:
            self._entries.clear()
