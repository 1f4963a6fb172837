"""Cursor pagination (docs/contract.md#pagination): every matching item exactly once, newest first,
consistent pages, and a cursor the server never issued is a 422."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.plugin import suite_settings

COUNT = 7


@pytest.fixture(scope="module")
def tagged(api, contract):
    """COUNT sessions sharing a mark no one else uses, in the order the list must return them."""
    mark = unique_tag("page")
    bodies = [api.create(**api.marked_with(mark)).json for _ in range(COUNT)]
    created, id_field = contract.resource.created, contract.resource.id_field
    bodies.sort(key=lambda b: (rules.instant(b[created]), b[id_field]), reverse=True)
    return mark, [b[id_field] for b in bodies]


def walk(contract, fetch, size, limit=100):
    pages, after = [], None
    for _ in range(limit):
        page = fetch(**{contract.page.size: size, contract.page.cursor: after})
        rules.page_is_consistent(contract, page, size)
        pages.append(page)
        if page.json.get(contract.page.next) is None:
            break
        after = page.json[contract.page.next]
    return pages


def listing(api, mark):
    def fetch(**query):
        return api.list(**{**api.selecting(mark), **{k: v for k, v in query.items() if v is not None}})
    return fetch


def test_pagination_returns_each_once(api, contract, tagged):
    mark, expected = tagged
    pages = walk(contract, listing(api, mark), size=2)
    rules.pagination_returns_each_once(contract, pages, expected, contract.resource.id_field)


def test_page_is_consistent(api, contract, tagged):
    mark, expected = tagged
    maximum = contract.parameter_schema(contract.list, contract.page.size).get("maximum", 100)
    for size in (1, 3, COUNT, COUNT + 1, maximum):
        pages = walk(contract, listing(api, mark), size=size)
        for before, page in zip([None, *pages], pages):
            rules.page_is_consistent(contract, page, size, total=len(expected))
            if before is not None and not page.json.get(contract.page.items):
                rules.fail("page_is_consistent", "a next cursor led to an empty page: the page before was the last, "
                                                 "and its next cursor should have been null", before, page)
    other = unique_tag("empty")
    rules.page_is_consistent(contract, api.list(**api.selecting(other)), total=0)


@suite_settings(max_examples=8)
@given(size=st.integers(min_value=1, max_value=COUNT + 2))
def test_pagination_returns_each_once_any_page_size(api, contract, tagged, size):
    mark, expected = tagged
    rules.pagination_returns_each_once(contract, walk(contract, listing(api, mark), size=size), expected,
                                       contract.resource.id_field)


def test_list_is_newest_first(api, contract, tagged):
    page = api.list(**{contract.page.size: 50})
    rules.page_is_consistent(contract, page, 50)
    rules.list_is_newest_first(contract, page.json[contract.page.items], page)
    mark, _ = tagged
    page = api.list(**api.selecting(mark))
    rules.list_is_newest_first(contract, page.json[contract.page.items], page)


# Strings no server issues. Not a plausible cursor such as base64 of {"offset": 3}: a server may have
# issued that one for other filters, and a check must not assume anything about such reuse.
FORGED_CURSORS = ("not-a-cursor", "AAAA", "eyJvZmZzZXQiOiAtMX0=", "")  # the third: base64 of {"offset": -1}


def test_unissued_cursor_is_422(api, contract, tagged):
    for cursor in FORGED_CURSORS:
        rules.unissued_cursor_is_422(contract, api.list(**{contract.page.cursor: cursor}))
    sid = tagged[1][0]
    for lister in contract.of_kind("list-children"):
        rules.unissued_cursor_is_422(contract, api.call(lister, sid, query={contract.page.cursor: "not-a-cursor"}))


def test_unissued_cursor_is_422_from_another_tenant(api, other_api, contract):
    """A cursor the server issued for the other tenant's list is not one of this list's."""
    if not contract.page.tenant_cursors:
        pytest.skip("the declaration leaves cursors of another tenant's list open (page.tenant-cursors)")
    page = other_api.list(**{contract.page.size: 1})
    cursor = (page.json or {}).get(contract.page.next) if page.status == 200 else None
    if not cursor:
        pytest.skip("the other tenant's list has a single page: no cursor to borrow")
    rules.unissued_cursor_is_422(contract, api.list(**{contract.page.cursor: cursor}), page)


def test_pagination_returns_each_once_children(api, model, contract):
    for lister in contract.of_kind("list-children"):
        name = contract.behaviour(lister.operation_id).child
        appenders = [op for op in contract.of_kind("append") if contract.behaviour(op.operation_id).append.child == name]
        created = api.create()
        sid = api.id_of(created)
        for operation in appenders:
            for _ in range(4):
                api.write(operation, sid)
        child_id = contract.resource.children[name].id

        def fetch(lister=lister, sid=sid, **query):
            return api.call(lister, sid, query={k: v for k, v in query.items() if v is not None})

        everything = api.call(lister, sid, query={contract.page.size: contract.largest_page(lister)})
        expected = [item[child_id] for item in everything.json[contract.page.items]]
        pages = walk(contract, fetch, size=2)
        rules.pagination_returns_each_once(contract, pages, expected, child_id)
        rules.page_is_consistent(contract, pages[0], 2, total=len(expected))
