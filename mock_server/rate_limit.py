"""Rate limit stage: `--rate-limit 20/s` per token, answering 429 with `Retry-After`.

Each token has a bucket of N requests that refills continuously over the period, so a burst of
N passes and then requests flow at the limit. It runs after auth (the bucket is the accepted
token's; an unknown token is a 401 first) and before validation, as a gateway would.
`Retry-After` is whole seconds, rounded up, at least 1.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import credential_of
from .envelope import ApiError
from .route import operation_of

PERIODS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class RateLimit:
    requests: int
    period_s: float
    text: str

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`20/s`, `100/min`, `1000/h`; ValueError says what is wrong."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([a-z]+)\s*", text)
        if match is None or match.group(2) not in PERIODS or int(match.group(1)) < 1:
            raise ValueError(f"rate limit must look like 20/s, 100/min or 1000/h, not {text!r}")
        return cls(int(match.group(1)), PERIODS[match.group(2)], text.strip())


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


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and operation_of(scope) is not None:
            credential = credential_of(scope)
            client = scope.get("client")
            key = credential.token if credential else f"client:{client[0] if client else '-'}"
            wait = self.buckets.take(key)
            if wait:
                seconds = max(1, math.ceil(wait))
                raise ApiError(
                    429,
                    f"More than {self.buckets.limit.text} requests with this token; retry in {seconds} s.",
                    headers={"Retry-After": str(seconds)},
                )
        await self.app(scope, receive, send)
