"""The mock's clock: wall time plus an offset that only moves forward.

Every instant the mock stamps (creation, update, archive, scripted progress) reads this clock, so
`POST /_mock/clock {"advance_s": 30}` moves a session's scripted progress and its timestamps as if
30 seconds had passed, with no waiting. Time never goes back, so `updated_at` never decreases.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from api_model import Operation

MAX_ADVANCE_S = 10 * 365 * 86400  # the admin document's bound on one step


class Clock:
    def __init__(self, offset_s: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.offset_s = offset_s

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset_s += seconds

    def describe(self) -> dict[str, Any]:
        return {"now": round(self.now(), 3), "offset_s": round(self.offset_s, 3)}

    # -- admin operations -------------------------------------------------------------------

    def get_clock(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        return self.describe()

    def advance_clock(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        self.advance(body["advance_s"])
        return self.describe()
