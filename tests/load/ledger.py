"""What the load test saw: each request kind's answers and times, and every write it sent."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Write:
    """One POST that changes data, recorded before it is sent and completed by its answer.

    `token` is what the write put in a free-text field (a note) so that the database and the
    audit trail can show whether this very write landed; `version` is the version its form
    was read at (the write, if it lands, makes `version + 1`).
    """

    kind: str
    key: tuple[Any, ...]
    username: str
    version: int | None = None
    token: str = ""
    status: int | None = None  # None: no answer yet; 0: no answer at all (connection error)

    @property
    def outcome(self) -> str:
        if self.status is None or self.status == 0:
            return "unknown"  # timed out, cut off or still in flight when the run stopped
        if self.status < 400:
            return "acknowledged"
        return "failed" if self.status >= 500 else "refused"


class Ledger:
    """Every write the users sent, in order; Locust runs in this process, so a list will do."""

    def __init__(self) -> None:
        self.writes: list[Write] = []

    def begin(self, kind: str, key: tuple[Any, ...], username: str, **what: Any) -> Write:
        write = Write(kind, key, username, **what)
        self.writes.append(write)
        return write

    def of(self, kind: str, key: tuple[Any, ...] | None = None) -> list[Write]:
        return [w for w in self.writes if w.kind == kind and (key is None or w.key == key)]


@dataclass
class KindFigures:
    count: int = 0
    server_errors: int = 0  # 5xx
    connection_errors: int = 0  # no answer: refused, reset, or no answer within the timeout
    conflicts: int = 0  # 409
    other_4xx: int = 0
    times_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float | None:
        if not self.times_ms:
            return None
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


class Tally:
    """Per request kind (Locust's request name): answers by class and response times."""

    def __init__(self) -> None:
        self.kinds: dict[str, KindFigures] = defaultdict(KindFigures)
        self.statuses: dict[int, int] = defaultdict(int)

    def on_request(
        self, request_type, name, response_time, response_length, response=None, **_kw
    ) -> None:
        """Locust's `request` event: one call per request sent, answered or not."""
        figures = self.kinds[name]
        status = getattr(response, "status_code", 0) or 0
        figures.count += 1
        self.statuses[status] += 1
        if status == 0:
            figures.connection_errors += 1
        elif status >= 500:
            figures.server_errors += 1
        elif status == 409:
            figures.conflicts += 1
        elif status >= 400:
            figures.other_4xx += 1
        if response_time is not None:
            figures.times_ms.append(float(response_time))

    def total(self) -> KindFigures:
        out = KindFigures()
        for f in self.kinds.values():
            out.count += f.count
            out.server_errors += f.server_errors
            out.connection_errors += f.connection_errors
            out.conflicts += f.conflicts
            out.other_4xx += f.other_4xx
            out.times_ms += f.times_ms
        return out
