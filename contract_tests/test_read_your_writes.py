"""Read-your-writes and list filters (CONTRACT.md §1, §5): get and list see every write at once;
`is_archived` and `tags` filter exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.plugin import hypothesis_settings


def _listed(api, **filters):
    page = api.list_sessions(first=200, **filters)
    rules.page_is_consistent(page)
    return page, page.json["items"]


def test_reads_see_writes(api):
    mark = unique_tag("ryw")
    created = api.create_session("Read your writes", tags=[mark])
    sid = created.json["session_id"]
    for write in (lambda: created, lambda: api.archive(sid), lambda: api.unarchive(sid),
                  lambda: api.send_message(sid, "again"), lambda: api.terminate(sid)):
        written = write()
        rules.reads_see_writes(written.json, api.get_session(sid), written)
        rules.reads_see_writes(written.json, api.list_sessions(tags=[mark]), written)
    tags = [api.run_tag, mark, "relabelled"]
    replaced = api.replace_tags(sid, tags)
    expected = {**api.get_session(sid).json, "tags": tags}
    rules.reads_see_writes(expected, api.get_session(sid), replaced)
    rules.reads_see_writes(expected, api.list_sessions(tags=[mark]), replaced)


def test_is_archived_filter_is_exact(api):
    mark = unique_tag("arch")
    ids = [api.create_session(f"Filter {i}", tags=[mark]).json["session_id"] for i in range(4)]
    archived = {ids[0], ids[2]}
    for sid in archived:
        api.archive(sid)
    api.terminate(ids[3], archive=True)
    archived.add(ids[3])
    for flag, expected in ((True, archived), (False, set(ids) - archived), (None, set(ids))):
        page, items = _listed(api, tags=[mark], is_archived=flag)
        rules.is_archived_filter_is_exact(items, flag, expected, page)


def test_tags_filter_matches_all(api):
    mark = unique_tag("tags")
    one = api.create_session("a", tags=[mark, "alpha"]).json["session_id"]
    both = api.create_session("ab", tags=[mark, "alpha", "beta"]).json["session_id"]
    other = api.create_session("b", tags=[mark, "beta"]).json["session_id"]
    cases = (([mark], {one, both, other}), ([mark, "alpha"], {one, both}), ([mark, "beta"], {both, other}),
             ([mark, "alpha", "beta"], {both}), ([mark, "gamma"], set()))
    for tags, expected in cases:
        page, items = _listed(api, tags=tags)
        rules.tags_filter_matches_all(items, tags, expected, page)
    # retagging is seen by the filter at once
    retagged = api.replace_tags(other, [api.run_tag, mark, "alpha"])
    page, items = _listed(api, tags=[mark, "alpha"])
    rules.tags_filter_matches_all(items, [mark, "alpha"], {one, both, other}, retagged, page)


@hypothesis_settings(max_examples=10)
@given(plan=st.lists(st.tuples(st.sets(st.sampled_from(["red", "green", "blue"])), st.booleans()),
                     min_size=1, max_size=5),
       query=st.tuples(st.sets(st.sampled_from(["red", "green", "blue"])), st.sampled_from([None, True, False])))
def test_filters_agree_with_model(api, plan, query):
    """Property: for any sessions (tags, archived) and any filter, the list holds exactly the matches."""
    mark = unique_tag("flt")
    sessions = {}
    for tags, archived in plan:
        sid = api.create_session("Filter property", tags=[mark, *sorted(tags)]).json["session_id"]
        if archived:
            api.archive(sid)
        sessions[sid] = (set(tags), archived)
    tags, flag = query
    expected = {sid for sid, (t, a) in sessions.items() if set(tags) <= t and (flag is None or a == flag)}
    page, items = _listed(api, tags=[mark, *sorted(tags)], is_archived=flag)
    rules.tags_filter_matches_all(items, [mark, *sorted(tags)], expected, page)
    rules.is_archived_filter_is_exact(items, flag, expected, page)
    rules.page_is_consistent(page, total=len(expected))
