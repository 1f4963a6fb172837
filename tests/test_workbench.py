"""The mock as a workbench: a clock to advance instead of waiting, scripted progress, items appended
from either source, and the whole state saved and restored (admin API and `--state FILE`)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import yaml

from api_model import APIS
from conftest import ADMIN, SESSIONS, free_port
from conftest import running_cli as running
from mock_server import MockConfig, build

SESSION = f"{SESSIONS}/devin-abc123def456"  # seeded: status new
RUNNING_THEN_DONE = {"steps": [
    {"after_s": 5, "set": {"status": "running", "status_detail": "working"}},
    {"after_s": 10, "set": {"status": "exit", "status_detail": "finished"},
     "messages": [{"source": "devin", "message": "Done: the pull request is open."}]},
]}


def advance(client, seconds: float) -> dict:
    answer = client.post("/_mock/clock", json={"advance_s": seconds})
    assert answer.status_code == 200, answer.text
    return answer.json()


def status_of(client, path: str = SESSION) -> tuple[str, str | None]:
    body = client.get(path, headers=ADMIN).json()
    return body["status"], body["status_detail"]


def last_message(client, path: str = SESSION) -> dict:
    return client.get(f"{path}/messages", params={"first": 200}, headers=ADMIN).json()["items"][-1]


def test_the_clock_advances_and_stamps_what_follows(client):
    before = client.get("/_mock/clock").json()
    after = advance(client, 3600)
    assert after["offset_s"] == before["offset_s"] + 3600 and after["now"] >= before["now"] + 3600
    answer = client.post(f"{SESSION}/messages", json={"message": "later"}, headers=ADMIN)
    assert answer.json()["updated_at"] >= int(before["now"]) + 3600  # v3 instants are whole seconds


@pytest.mark.parametrize("body", [{"advance_s": -1}, {"advance_s": "soon"}, {}, {"advance_s": 1, "x": 2}])
def test_the_clock_never_goes_back_and_refuses_what_is_no_step(client, body):
    answer = client.post("/_mock/clock", json=body)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"][0] == "body", answer.text
    assert client.get("/_mock/clock").json()["offset_s"] == 0


def test_a_script_plays_as_the_clock_passes_its_steps(client):
    assert client.post(f"/_mock{SESSION}/progress", json=RUNNING_THEN_DONE).status_code == 200
    assert status_of(client) == ("new", None)
    advance(client, 4.5)
    assert status_of(client) == ("new", None)
    advance(client, 1)
    assert status_of(client) == ("running", "working")
    pending = client.get("/_mock/progress").json()["sessions"]
    assert [p["devin_id"] for p in pending] == ["devin-abc123def456"] and len(pending[0]["steps"]) == 1
    advance(client, 60)  # later than every step: each plays once, in order
    assert status_of(client) == ("exit", "finished")
    assert last_message(client)["message"] == "Done: the pull request is open."
    assert last_message(client)["source"] == "devin"
    assert client.get("/_mock/progress").json() == {"new_sessions": None, "sessions": []}


def test_every_new_session_plays_the_script_for_new_sessions(client):
    assert client.put("/_mock/progress/new", json=RUNNING_THEN_DONE).status_code == 200
    created = client.post(SESSIONS, json={"prompt": "Fix the login page"}, headers=ADMIN).json()
    path = f"{SESSIONS}/{created['session_id']}"
    advance(client, 16)
    assert status_of(client, path) == ("exit", "finished")
    assert status_of(client) == ("new", None)  # sessions made before the script: untouched
    client.put("/_mock/progress/new", json={"steps": []})
    later = client.post(SESSIONS, json={"prompt": "Another"}, headers=ADMIN).json()
    advance(client, 16)
    assert status_of(client, f"{SESSIONS}/{later['session_id']}") == ("running", "working")


def test_a_script_for_a_missing_session_is_a_404_and_a_bad_step_a_located_422(client):
    assert client.post(f"/_mock{SESSIONS}/devin-nosuch1/progress", json=RUNNING_THEN_DONE).status_code == 404
    answer = client.post(f"/_mock{SESSION}/progress", json={"steps": [{"after_s": 1, "set": {"status": "asleep"}}]})
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"][:4] == ["body", "steps", 0, "set"]
    assert client.get("/_mock/progress").json()["sessions"] == []


def test_a_deleted_session_ends_its_script():
    mock = build(MockConfig(spec_path=APIS["workspace"]))
    client = mock.app.test_client()
    session = "/api/v1/org/acme/ws/main/sessions/c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
    key = {"Authorization": "Bearer ws_mock_writer"}
    assert client.post(f"/_mock{session}/progress", json={"steps": [{"after_s": 5, "set": {"title": "x"}}]}).status_code == 200
    assert client.delete(session, headers=key).status_code == 204
    advance(client, 10)
    assert client.get("/_mock/progress").json()["sessions"] == []
    assert client.get(session, headers=key).status_code == 404


@pytest.mark.parametrize("source", ["user", "devin"])
def test_a_message_from_either_source_is_appended(client, source):
    before = client.get(SESSION, headers=ADMIN).json()
    answer = client.post(f"/_mock{SESSION}/messages", json={"source": source, "message": f"from {source}"})
    assert answer.status_code == 200
    assert answer.json() == last_message(client) and answer.json()["source"] == source
    assert client.get(SESSION, headers=ADMIN).json()["updated_at"] >= before["updated_at"]


def test_an_api_without_sub_collections_offers_no_append():
    client = build(MockConfig(spec_path=APIS["workspace"])).app.test_client()
    paths = yaml.safe_load(client.get("/_mock/admin.yaml").content)["paths"]
    assert not [p for p in paths if p.endswith("/messages")]


def test_the_state_round_trip_restores_everything(client):
    client.post(f"/_mock{SESSION}/progress", json=RUNNING_THEN_DONE)
    advance(client, 6)
    saved = client.get("/_mock/state").json()
    assert saved["progress"]["sessions"] and saved["clock"]["offset_s"] == 6
    # Change everything: a session, a new one, a message, the script.
    client.patch(f"/_mock{SESSION}", json={"title": "changed"})
    client.post(SESSIONS, json={"prompt": "new"}, headers=ADMIN)
    client.post(f"/_mock{SESSION}/messages", json={"message": "more"})
    client.delete("/_mock/progress")
    assert client.get("/_mock/state").json() != saved
    assert client.put("/_mock/state", json=saved).json() == {"sessions": len(saved["sessions"])}
    assert client.get("/_mock/state").json() == saved
    advance(client, 10)  # the restored script goes on
    assert status_of(client) == ("exit", "finished")


def test_a_bad_state_is_a_located_422_and_changes_nothing(client):
    saved = client.get("/_mock/state").json()
    broken = {**saved, "sessions": [*saved["sessions"][:2], {**saved["sessions"][2], "status": "asleep"}]}
    answer = client.put("/_mock/state", json=broken)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"][:4] == ["body", "sessions", 2, "status"]
    assert client.get("/_mock/state").json() == saved


def test_the_state_file_is_read_at_start_and_written_on_exit(tmp_path):
    state = tmp_path / "state.json"
    port = free_port()
    with running("--port", str(port), "--state", str(state), "--quiet") as (_, banner):
        assert f"state saved to {state} on exit" in banner
        request = urllib.request.Request(f"http://127.0.0.1:{port}/_mock{SESSION}", method="PATCH",
                                         data=json.dumps({"title": "kept"}).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()
    saved = json.loads(state.read_text())
    assert any(s["session_id"] == "devin-abc123def456" and s["title"] == "kept" for s in saved["sessions"])
    port = free_port()
    with running("--port", str(port), "--state", str(state), "--quiet") as (_, banner):
        assert f"State {state}: 60 sessions" in banner
        request = urllib.request.Request(f"http://127.0.0.1:{port}{SESSION}", headers=ADMIN)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["title"] == "kept"


def test_a_broken_state_file_is_one_readable_line(tmp_path):
    import subprocess
    import sys

    state = tmp_path / "state.json"
    state.write_text(json.dumps({"sessions": [{"session_id": "devin-x1", "status": "asleep"}]}))
    result = subprocess.run([sys.executable, "-m", "mock_server", "--state", str(state)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "sessions.0.status" in result.stderr, result.stderr
