"""Instants as the API renders them: RFC 3339 in UTC with milliseconds, as the standard library writes them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.representation import rfc3339


def standard(instant: float) -> str:
    return datetime.fromtimestamp(instant, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize("instant, text", [
    (0.0, "1970-01-01T00:00:00.000Z"),
    (1795722000.459, "2026-11-26T19:40:00.459Z"),
    (0.9999995, "1970-01-01T00:00:01.000Z"),  # rounded to microseconds first, up into the next second
    (0.9999994, "1970-01-01T00:00:00.999Z"),
    (-0.5, "1969-12-31T23:59:59.500Z"),
    (253402300799.0, "9999-12-31T23:59:59.000Z"),
])
def test_instants_render_in_utc_with_milliseconds(instant, text):
    assert rfc3339(instant) == text == standard(instant)


@given(st.floats(min_value=-62135596800, max_value=253402300799.999, allow_nan=False))
def test_every_instant_renders_as_the_standard_library_renders_it(instant):
    assert rfc3339(instant) == standard(instant)
