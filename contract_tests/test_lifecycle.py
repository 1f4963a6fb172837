"""Session lifecycle (CONTRACT.md §1, §5): archive puts to sleep, archived and terminated sessions
refuse modification, a message resumes a session, terminate with and without archive."""

from __future__ import annotations

import pytest

from contract_tests import rules


def test_new_session_is_running(api):
    created = api.create_session("Fix the flaky login test", title="Flaky login", tags=["ci"])
    rules.new_session_is_running(created, api.get_session(created.json["session_id"]))


def test_archive_puts_session_to_sleep(api, fresh):
    session = fresh()
    archived = api.archive(session["session_id"])
    rules.archive_puts_session_to_sleep(session, archived, api.get_session(session["session_id"]))


def test_archive_puts_session_to_sleep_keeps_other_statuses(api, fresh):
    # exit is not put to sleep: archiving a terminated session keeps `exit`.
    session = fresh()
    ended = api.terminate(session["session_id"])
    archived = api.archive(session["session_id"])
    rules.archive_puts_session_to_sleep(ended.json, archived, api.get_session(session["session_id"]))
    # a suspended session keeps its status and detail
    other = fresh()
    api.archive(other["session_id"])
    suspended = api.unarchive(other["session_id"])
    before = api.get_session(other["session_id"]).json
    again = api.archive(other["session_id"])
    rules.archive_puts_session_to_sleep(before or suspended.json, again, api.get_session(other["session_id"]))


def test_unarchive_keeps_status(api, fresh):
    session = fresh()
    archived = api.archive(session["session_id"])
    rules.unarchive_keeps_status(archived.json, api.unarchive(session["session_id"]))


@pytest.mark.parametrize("operation", ["send_message", "replace_tags"])
def test_archived_session_refuses_modification(api, fresh, operation):
    session = fresh()
    sid = session["session_id"]
    archived = api.archive(sid)
    answer = api.send_message(sid, "Are you there?") if operation == "send_message" else api.replace_tags(sid, ["x"])
    rules.archived_session_refuses_modification(answer, archived)
    # archived and terminated: still `session_archived` (§5)
    api.terminate(sid)
    answer = api.send_message(sid, "Still there?") if operation == "send_message" else api.replace_tags(sid, ["y"])
    rules.archived_session_refuses_modification(answer, archived)


def test_terminated_session_refuses_messages(api, fresh):
    session = fresh()
    ended = api.terminate(session["session_id"])
    rules.terminated_session_refuses_messages(api.send_message(session["session_id"], "Hello?"), ended)


def test_message_resumes_session(api, fresh):
    session = fresh()
    sid = session["session_id"]
    archived = api.archive(sid)
    rules.archive_puts_session_to_sleep(session, archived)
    rules.unarchive_keeps_status(archived.json, api.unarchive(sid))
    sent = api.send_message(sid, "Please carry on.")
    rules.message_resumes_session(sent, api.get_session(sid))
    rules.write_agrees_with_read(sent, api.get_session(sid))


@pytest.mark.parametrize("archive", [None, False, True])
def test_terminate_ends_session(api, fresh, archive):
    session = fresh()
    sid = session["session_id"]
    ended = api.terminate(sid, archive=archive)
    rules.terminate_ends_session(session, ended, archive, api.get_session(sid))
    # terminating again is a no-op returning 200
    again = api.terminate(sid, archive=archive)
    rules.terminate_ends_session(api.get_session(sid).json, again, archive, api.get_session(sid))


def test_terminate_ends_session_archive_flag_on_terminated(api, fresh):
    session = fresh()
    sid = session["session_id"]
    ended = api.terminate(sid)
    # archive=true on a terminated, unarchived session archives it
    rules.terminate_ends_session(ended.json, api.terminate(sid, archive=True), True, api.get_session(sid))
    # archive=false never unarchives
    archived = api.get_session(sid).json
    rules.terminate_ends_session(archived, api.terminate(sid, archive=False), False, api.get_session(sid))


def test_replace_tags_sets_tags(api, fresh):
    session = fresh()
    sid = session["session_id"]
    tags = [api.run_tag, "backend", "ci"]
    replaced = api.replace_tags(sid, tags)
    rules.replace_tags_sets_tags(replaced, tags, api.get_session(sid))
    before = api.get_session(sid).json
    rules.replace_tags_sets_tags(api.replace_tags(sid, tags), tags)
    rules.updated_at_is_monotonic(before, api.get_session(sid), changed=False)
    # allowed on terminal sessions
    api.terminate(sid)
    rules.replace_tags_sets_tags(api.replace_tags(sid, [api.run_tag, "done"]), [api.run_tag, "done"])


def test_updated_at_is_monotonic(api, fresh):
    session = fresh()
    sid = session["session_id"]
    before = session
    for step, changes in ((lambda: api.archive(sid), True), (lambda: api.archive(sid), False),
                          (lambda: api.unarchive(sid), True), (lambda: api.unarchive(sid), False),
                          (lambda: api.send_message(sid, "go on"), True), (lambda: api.get_session(sid), False),
                          (lambda: api.terminate(sid), True), (lambda: api.terminate(sid), False)):
        step()
        rules.updated_at_is_monotonic(before, api.get_session(sid), changed=changes)
        before = api.get_session(sid).json


def test_messages_start_with_prompt(api, fresh):
    session = fresh("Write the release notes")
    sid = session["session_id"]
    sent = ["First, the changelog.", "Then the blog post."]
    for message in sent:
        api.send_message(sid, message)
    rules.messages_start_with_prompt(api.list_messages(sid), "Write the release notes", sent)
