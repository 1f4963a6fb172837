"""How the suite talks to the target: one `requests` session that keeps the run safe and finite.

- a request budget (`--request-budget`) and a per-request timeout (`--request-timeout`);
- an overall deadline (`--deadline`): once it passes, no request is sent and the run stops with
  a summary of what ran;
- 429 answers wait as `Retry-After` asks, up to `--max-retry-wait` seconds and a few attempts; a
  target that asks for more is reported, and the run stops;
- a target that fails again and again (transport errors, or 5xx answers in a row) stops the run
  with one line saying so, instead of failing every remaining test the same way;
- every request and answer passes through the run's `Ownership`, which tags and registers the
  sessions the run creates (see `contract_tests.ownership`).

`RunStopped` and its kinds derive from BaseException, like KeyboardInterrupt: they end the run,
and no `except Exception` on the way (Hypothesis, schemathesis, a test) may take them for a
failure of the server and retry or shrink.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

RETRY_LIMIT = 5  # 429 answers waited out per request
FAILURES_IN_A_ROW = 8  # transport errors or 5xx answers in a row that stop the run


class RunStopped(BaseException):
    """The run cannot go on; the message says why, in one line."""


class DeadlineReached(RunStopped):
    pass


class TargetBroken(RunStopped):
    pass


class BudgetExhausted(RunStopped):
    pass


class TargetUnreachable(Exception):
    """One request got no answer (connection refused, reset, timed out); the message is one line."""


class RunGuard:
    """What every request checks first, shared by the threads of one test process."""

    def __init__(self, *, budget: int = 0, seconds_left: float | None = None, deadline_option: float | None = None,
                 max_retry_wait: float = 30.0, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.budget = budget
        self.deadline = None if seconds_left is None else clock() + seconds_left
        self.deadline_option = deadline_option if deadline_option is not None else seconds_left
        self.max_retry_wait = max_retry_wait
        self.spent = 0
        self.failures_in_a_row = 0
        self.last_failure = ""
        self.stopped: str | None = None
        self._relaxed = threading.local()
        self._lock = threading.Lock()

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """No deadline or budget inside (cleanup at the end of a run); a broken target still stops it."""
        self._relaxed.on = True
        try:
            yield
        finally:
            self._relaxed.on = False

    def before_request(self) -> None:
        if self.stopped is not None:
            raise TargetBroken(self.stopped)
        if getattr(self._relaxed, "on", False):
            return
        if self.deadline is not None and self.clock() >= self.deadline:
            raise DeadlineReached(self.deadline_passed())
        with self._lock:
            if self.budget and self.spent >= self.budget:
                raise BudgetExhausted(f"the request budget of {self.budget} requests (--request-budget) is spent")
            self.spent += 1

    def deadline_passed(self) -> str:
        return f"the deadline of {self.deadline_option:g} s (--deadline) passed"

    def note_answer(self, response: requests.Response) -> None:
        if response.status_code >= 500:
            media = response.headers.get("Content-Type", "no content type").split(";")[0]
            self._failed(f"{response.request.method} {response.url} answered {response.status_code} ({media})")
        else:
            with self._lock:
                self.failures_in_a_row = 0

    def note_transport_error(self, method: str, url: str, exc: requests.RequestException) -> TargetUnreachable:
        reason = one_line(exc)
        self._failed(f"{method} {url}: {reason}")
        return TargetUnreachable(f"no answer from {url} ({reason})")

    def _failed(self, what: str) -> None:
        with self._lock:
            self.failures_in_a_row += 1
            self.last_failure = what
            if self.failures_in_a_row >= FAILURES_IN_A_ROW and self.stopped is None:
                self.stopped = (f"the target failed {self.failures_in_a_row} requests in a row, the last: {what}; "
                                "stopping the run")

    def stop(self, reason: str) -> None:
        with self._lock:
            self.stopped = self.stopped or reason


def one_line(exc: BaseException) -> str:
    """A transport error as a short phrase: `connection refused`, `read timed out`..."""
    text = str(exc)
    for marker, phrase in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                           ("Connection reset", "connection reset"), ("RemoteDisconnected", "closed without answering"),
                           ("Name or service not known", "unknown host"), ("BrokenPipe", "connection closed")):
        if marker in text:
            return phrase
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def retry_after_seconds(response: requests.Response) -> float:
    """`Retry-After` in seconds (delay-seconds or an HTTP-date); 1 when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())


class PoliteSession(requests.Session):
    """`requests.Session` that passes every request through the run's guard and ownership, and
    waits out 429 answers as `Retry-After` asks, within `--max-retry-wait`."""

    def __init__(self, guard: RunGuard, timeout: float = 30.0, ownership: Any = None) -> None:
        super().__init__()
        self.guard = guard
        self.timeout = timeout
        self.ownership = ownership
        self.waited_429 = 0

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs["timeout"] = self.timeout  # the suite's option wins over a library's default
        if self.ownership is not None:
            kwargs = self.ownership.before_send(method, url, kwargs)
        for attempt in range(RETRY_LIMIT + 1):
            self.guard.before_request()
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.RequestException as exc:
                raise self.guard.note_transport_error(method, url, exc) from exc
            self.guard.note_answer(response)
            if self.ownership is not None:
                self.ownership.after_answer(method, url, kwargs, response)
            if response.status_code != 429:
                return response
            wait = retry_after_seconds(response)
            if wait > self.guard.max_retry_wait:
                self.guard.stop(f"the target asked to wait {wait:g} s (Retry-After) before {method} {url}, "
                                f"more than --max-retry-wait {self.guard.max_retry_wait:g} s")
                raise TargetBroken(self.guard.stopped)
            if attempt == RETRY_LIMIT:
                self.guard.stop(f"the target still answered 429 after {RETRY_LIMIT} waits as Retry-After asked "
                                f"({method} {url})")
                raise TargetBroken(self.guard.stopped)
            self.waited_429 += 1
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
