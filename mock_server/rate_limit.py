"""Rate limit stage: a limit per token, like `20/s`, answering 429 with `Retry-After`.

Each token has a bucket of N requests that refills continuously over the period, so a burst of
N passes and then requests flow at the limit. The limit is the runtime controls' (controls.py):
the API's (`--rate-limit`, then the admin API's), counted across its operations, or an
operation's own, counted in a bucket of that operation alone. A changed limit starts with full
buckets; the others keep counting. It runs after auth (the bucket is the accepted token's; an
unknown token is a 401 first) and before validation, as a gateway would.
`Retry-After` is whole seconds, rounded up, at least 1.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import Scope

from .envelope import ApiError

if TYPE_CHECKING:
    from api_model import Credential, Operation

    from .controls import Controls

PERIODS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period_s: float
    text: str

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`20/s`, `100/min`, `1000/h`; ValueError says what is wrong."""
        match = re.fullmatch(r"\s*(\d{1,7})\s*/\s*([a-z]+)\s*", text)
        if match is None or match.group(2) not in PERIODS or int(match.group(1)) < 1:
            raise ValueError(f"rate limit must look like 20/s, 100/min or 1000/h (at most 7 digits), not {text!r}")
        requests, unit = int(match.group(1)), match.group(2)
        return cls(requests, PERIODS[unit], f"{requests}/{unit}")


class TokenBuckets:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when counted)

    def take(self, key: str) -> float:
        """Take one request from `key`'s bucket: 0 if allowed, else the seconds until one is free."""
        capacity, per_second = self.limit.requests, self.limit.requests / self.limit.period_s
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - then) * per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / per_second


class RateLimits:
    """The buckets of each limit in force: the API's (scope None) and each operation's own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._scopes: dict[str | None, TokenBuckets] = {}

    def take(self, scope: str | None, limit: RateLimit, key: str) -> float:
        with self._lock:
            buckets = self._scopes.get(scope)
            if buckets is None or buckets.limit != limit:  # a new limit starts with full buckets
                buckets = self._scopes[scope] = TokenBuckets(limit, self.clock)
        return buckets.take(key)


class RateLimiter:
    def __init__(self, controls: Controls, clock: Callable[[], float] = time.monotonic) -> None:
        self.controls = controls
        self.buckets = RateLimits(clock)

    def take(self, scope: Scope, operation: Operation, credential: Credential | None) -> None:
        """Count the request against the limit in force for its operation: the 429 past it."""
        values = self.controls.of(operation.operation_id)
        if values.rate_limit is None:
            return
        client = scope.get("client")
        key = credential.token if credential else f"client:{client[0] if client else '-'}"
        wait = self.buckets.take(values.rate_scope, values.rate_limit, key)
        if wait:
            seconds = max(1, math.ceil(wait))
            counted = f"{values.rate_scope} requests" if values.rate_scope else "requests"
            raise ApiError(
                429,
                f"More than {values.rate_limit.text} {counted} with this token; retry in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )
