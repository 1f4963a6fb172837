"""Cursor pagination (CONTRACT.md §1, §5): every matching item exactly once, newest first,
consistent pages, and a cursor the server never issued is a 422."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.plugin import hypothesis_settings

COUNT = 7


@pytest.fixture(scope="module")
def tagged(api):
    """COUNT sessions sharing a tag no one else uses, in the order the list must return them."""
    mark = unique_tag("page")
    bodies = [api.create_session(f"Page {i}", tags=[mark]).json for i in range(COUNT)]
    bodies.sort(key=lambda b: (b["created_at"], b["session_id"]), reverse=True)
    return mark, [b["session_id"] for b in bodies]


def walk(fetch, first, limit=100):
    pages, after = [], None
    for _ in range(limit):
        page = fetch(first=first, after=after)
        rules.page_is_consistent(page, first)
        pages.append(page)
        if not page.json.get("has_next_page"):
            break
        after = page.json["end_cursor"]
    return pages


def test_pagination_returns_each_once(api, tagged):
    mark, expected = tagged
    pages = walk(lambda **p: api.list_sessions(tags=[mark], **p), first=2)
    rules.pagination_returns_each_once(pages, expected)


def test_page_is_consistent(api, tagged):
    mark, expected = tagged
    for first in (1, 3, COUNT, COUNT + 1, 200):
        for page in walk(lambda **p: api.list_sessions(tags=[mark], **p), first=first):
            rules.page_is_consistent(page, first, total=len(expected))
    empty = api.list_sessions(tags=[mark, "no-such-tag"])
    rules.page_is_consistent(empty, total=0)


@hypothesis_settings(max_examples=8)
@given(first=st.integers(min_value=1, max_value=COUNT + 2))
def test_pagination_returns_each_once_any_page_size(api, tagged, first):
    mark, expected = tagged
    rules.pagination_returns_each_once(walk(lambda **p: api.list_sessions(tags=[mark], **p), first=first), expected)


def test_list_is_newest_first(api, tagged):
    page = api.list_sessions(first=50)
    rules.page_is_consistent(page, 50)
    rules.list_is_newest_first(page.json["items"], page)
    mark, _ = tagged
    page = api.list_sessions(tags=[mark])
    rules.list_is_newest_first(page.json["items"], page)


# Strings no server issues. Not a plausible cursor such as base64 of {"offset": 3}: a server may have
# issued that one for other filters, and a check must not assume anything about such reuse (§5).
FORGED_CURSORS = ("not-a-cursor", "AAAA", "eyJvZmZzZXQiOiAtMX0=")  # the last: base64 of {"offset": -1}


def test_unissued_cursor_is_422(api, tagged):
    for cursor in FORGED_CURSORS:
        rules.unissued_cursor_is_422(api.list_sessions(after=cursor))
    sid = tagged[1][0]
    rules.unissued_cursor_is_422(api.list_messages(sid, after="not-a-cursor"))


def test_pagination_returns_each_once_messages(api, fresh):
    sid = fresh("Message pagination")["session_id"]
    sent = [f"step {i}" for i in range(5)]
    for message in sent:
        api.send_message(sid, message)
    pages = walk(lambda **p: api.list_messages(sid, **{k: v for k, v in p.items() if v is not None}), first=2)
    listed = [item["message"] for page in pages for item in page.json["items"] if item["source"] == "user"]
    events = [item["event_id"] for page in pages for item in page.json["items"]]
    rules.pagination_returns_each_once(pages, events, key="event_id")  # no duplicates
    if listed != ["Message pagination", *sent]:
        rules.fail("pagination_returns_each_once", f"user messages across pages: {listed}", *pages)
    rules.page_is_consistent(pages[0], 2, total=len(events))
