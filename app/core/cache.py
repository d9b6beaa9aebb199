"""A small in-process cache for bytes made from data that carries its own version.

A key holds the version of everything the value was made from (e.g. a period's
`results_version`): when the data changes, so does the key, and the stale value is never
asked for again; it just ages out. Each worker process keeps its own, which is safe for
the same reason.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class Versioned:
    """The last `size` values made, by key."""

    def __init__(self, size: int = 32):
        self.size = size
        self._values: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        # Made outside the lock: two requests may both make a value, never wait on each other.
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
