"""Fixture files: v3 SessionResponse fields with defaults, checked against the specs, clear errors."""

from __future__ import annotations

import json

import pytest

from api_model import FileError
from conftest import ADMIN, SESSIONS, free_port
from mock_server import MockConfig, build
from mock_server.cli import main
from mock_server.fixtures import FixtureError

GOOD = """
sessions:
  - session_id: devin-first1
    title: Fix the flaky login test
    status: suspended
    status_detail: out_of_credits
    tags: [frontend]
    created_at: 1700000000
  - session_id: devin-second2
    org_id: org-other
    status: exit
    is_archived: true
    url: https://example.test/s/2
    pull_requests: [{pr_url: https://github.com/acme/app/pull/1, pr_state: merged}]
    messages:
      - {source: user, message: Upgrade the billing service}
      - {source: devin, message: Done, created_at: 1700000100}
"""


@pytest.fixture
def reader():
    return build().fixtures


def test_a_fixtures_file_replaces_the_seed(tmp_path):
    path = tmp_path / "fixtures.yaml"
    path.write_text(GOOD)
    mock = build(MockConfig(fixtures=path))
    assert [s.id for s in mock.store.list(("org-mock",))] == ["devin-first1"]
    with mock.app.test_client() as client:
        body = client.get(f"{SESSIONS}/devin-first1", headers=ADMIN).json()
    assert (body["status"], body["status_detail"], body["tags"], body["created_at"]) == ("suspended", "out_of_credits", ["frontend"], 1700000000)
    assert body["updated_at"] == 1700000000 and body["acus_consumed"] == 0 and body["pull_requests"] == []


def test_fields_and_messages_are_kept(reader, tmp_path):
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps({"sessions": [{"session_id": "devin-x1", "org_id": "org-other", "url": "https://e.test/1",
                                              "messages": [{"message": "hi"}, {"source": "devin", "message": "yo"}]}]}))
    session, = reader.read(path)
    assert session.tenant == ("org-other",) and session.fields["url"] == "https://e.test/1"
    assert [(m["source"], m["message"], m["event_id"]) for m in session.children["messages"]] == [
        ("user", "hi", "devin-x1-1"), ("devin", "yo", "devin-x1-2")]
    assert (session.fields["status"], session.fields["status_detail"]) == ("running", "working")


def test_only_session_id_is_required(reader):
    session, = reader.records({"sessions": [{"session_id": "devin-min1"}]})
    assert session.tenant == ("org-mock",) and session.fields["title"] is None and session.children["messages"] == []
    assert session.fields["url"].endswith("devin-min1")  # what a create would make


@pytest.mark.parametrize("entry, where, words", [
    ({"session_id": "devin-a1", "status": "runing"}, "sessions[0] (devin-a1).status", '"runing" is not one of "new"'),
    ({"session_id": "bad id"}, "sessions[0] (bad id).session_id", "does not match"),
    ({"session_id": "devin-a1", "colour": "red"}, "sessions[0] (devin-a1).colour", "Unknown property"),
    ({"session_id": "devin-a1", "tags": "x"}, "sessions[0] (devin-a1).tags", "not of type"),
    ({"session_id": "devin-a1", "messages": [{"source": "bot", "message": "x"}]}, "sessions[0] (devin-a1).messages[0].source", "is not one of"),
    ({"title": "no id"}, "sessions[0].session_id", "Field required"),
])
def test_errors_name_the_entry_and_the_field(reader, tmp_path, entry, where, words):
    path = tmp_path / "f.yaml"
    path.write_text(json.dumps({"sessions": [entry]}))
    with pytest.raises(FixtureError) as caught:
        reader.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {where}: ") and words in message


def test_duplicate_ids_are_refused(reader):
    problems = reader.problems({"sessions": [{"session_id": "devin-a1"}, {"session_id": "devin-a1"}]})
    assert problems == [{"loc": ["sessions", 1, "session_id"], "msg": "Duplicate of sessions[0]", "type": "duplicate"}]


def test_every_problem_is_listed_one_a_line(reader, tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("sessions:\n  - {session_id: devin-a, status: x}\n  - {session_id: devin-b, is_archived: maybe}\n")
    with pytest.raises(FixtureError) as caught:
        reader.read(path)
    assert len(str(caught.value).splitlines()) == 2


@pytest.mark.parametrize("content", ["sessions: [", "- just a list", ""])
def test_unreadable_or_misshapen_files_are_refused(reader, tmp_path, content):
    path = tmp_path / "f.yaml"
    path.write_text(content)
    with pytest.raises(FileError):
        reader.read(path)


def test_the_cli_refuses_a_bad_fixtures_file_in_clear_words(tmp_path, capsys):
    path = tmp_path / "fixtures.yaml"
    path.write_text("sessions:\n  - {session_id: devin-a1, status: runing}\n")
    with pytest.raises(SystemExit) as caught:
        main(["--fixtures", str(path), "--port", str(free_port())])
    assert caught.value.code == 1
    assert f"{path}: sessions[0] (devin-a1).status: \"runing\" is not one of" in capsys.readouterr().err


def test_the_cli_names_a_missing_fixtures_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--fixtures", str(tmp_path / "nope.yaml")])
    assert "cannot read fixtures file" in capsys.readouterr().err
