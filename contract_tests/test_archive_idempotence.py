"""Archive and unarchive are idempotent (CONTRACT.md §1): repeated, interleaved with reads,
concurrent; their answers agree with the next read; they never touch another session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.plugin import hypothesis_settings

CONCURRENCY = 8


def test_archive_is_idempotent(api, fresh):
    sid = fresh()["session_id"]
    first = api.archive(sid)
    again = api.archive(sid)
    rules.archive_is_idempotent(first, again, api.get_session(sid))


def test_archive_is_idempotent_on_terminated_session(api, fresh):
    sid = fresh()["session_id"]
    api.terminate(sid)
    first = api.archive(sid)
    rules.archive_is_idempotent(first, api.archive(sid), api.get_session(sid))


def test_unarchive_is_idempotent(api, fresh):
    sid = fresh()["session_id"]
    api.archive(sid)
    first = api.unarchive(sid)
    rules.unarchive_is_idempotent(first, api.unarchive(sid), api.get_session(sid))


def test_unarchive_is_idempotent_on_active_session(api, fresh):
    created = fresh()
    sid = created["session_id"]
    first = api.unarchive(sid)  # never archived: nothing changes
    rules.updated_at_is_monotonic(created, first, changed=False)
    rules.unarchive_is_idempotent(first, api.unarchive(sid), api.get_session(sid))


def test_concurrent_archives_agree(api, fresh):
    sid = fresh()["session_id"]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(lambda _: api.archive(sid), range(CONCURRENCY)))
    rules.concurrent_archives_agree(answers)
    rules.archive_is_idempotent(answers[0], api.archive(sid), api.get_session(sid))


def test_concurrent_unarchives_agree(api, fresh):
    sid = fresh()["session_id"]
    api.archive(sid)
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(lambda _: api.unarchive(sid), range(CONCURRENCY)))
    rules.concurrent_archives_agree(answers)


def test_write_agrees_with_read(api, fresh):
    sid = fresh(title="Agreement check", playbook_id="playbook-contract")["session_id"]
    for write in (api.archive, api.unarchive, lambda s: api.send_message(s, "more"), api.terminate,
                  lambda s: api.terminate(s, archive=True), api.unarchive):
        rules.write_agrees_with_read(write(sid), api.get_session(sid))


def test_other_sessions_untouched(api, fresh):
    bystander = fresh()
    bystander_archived = fresh()
    api.archive(bystander_archived["session_id"])
    bystander_archived = api.get_session(bystander_archived["session_id"]).json
    sid = fresh()["session_id"]
    writes = [api.archive(sid), api.archive(sid), api.unarchive(sid), api.send_message(sid, "x"),
              api.replace_tags(sid, [api.run_tag, "moved"]), api.terminate(sid, archive=True)]
    for other in (bystander, bystander_archived):
        rules.other_sessions_untouched(other, api.get_session(other["session_id"]), *writes)


@hypothesis_settings(max_examples=15)
@given(steps=st.lists(st.sampled_from(["archive", "unarchive", "get", "list"]), min_size=2, max_size=8))
def test_archive_is_idempotent_interleaved(api, steps):
    """Random interleavings of archive, unarchive and reads: a repeat of the last write answers the same
    body as that write, and reads in between agree with it."""
    mark = unique_tag("il")
    created = api.create_session("Interleaving check", tags=[mark])
    rules.new_session_is_running(created)
    sid = created.json["session_id"]
    last = {}
    for step in steps:
        if step in ("archive", "unarchive"):
            answer = api.archive(sid) if step == "archive" else api.unarchive(sid)
            if step in last:
                check = rules.archive_is_idempotent if step == "archive" else rules.unarchive_is_idempotent
                check(last[step], answer)
            last = {step: answer}
        elif step == "get" and last:
            rules.write_agrees_with_read(next(iter(last.values())), api.get_session(sid))
        elif step == "list" and last:
            written = next(iter(last.values()))
            rules.reads_see_writes(written.json, api.list_sessions(tags=[mark], first=200,
                                                                   is_archived=written.json.get("is_archived")),
                                   written)
