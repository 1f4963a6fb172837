"""A run of the contract suite on a shared deployment leaves no trace on what it did not create:
every session that existed before is exactly as it was, and every session of the run carries the
run's marker and is cleaned up as the declaration says (v3: terminated and archived, nothing left
running or untagged; workspace: deleted)."""

from __future__ import annotations

from api_model import APIS
from mock_server import MockConfig, build
from mock_server.server import BackgroundServer
from tests.suite import run_suite_at

RUN_ID = "hygiene"
TAG = f"contract-{RUN_ID}"


def everything(mock) -> dict:
    return {(r.tenant, r.id): r for tenant in mock.store.tenants() for r in mock.store.list(tenant)}


def test_a_run_changes_nothing_it_did_not_create_and_cleans_up_all_it_did():
    mock = build()
    before = everything(mock)
    with BackgroundServer(mock.app, **mock.serve_options()) as server:
        result = run_suite_at(server.url, "--run-id", RUN_ID, "-n", "2")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    after = everything(mock)
    changed = [key for key, session in before.items() if after.get(key) != session]
    assert not changed, f"{len(changed)} sessions the run did not create changed, e.g. {changed[:3]}"
    created = [session for key, session in after.items() if key not in before]
    assert {s.tenant for s in created} == {("org-mock",), ("org-other",)}  # both directions of tenancy ran
    untagged = [s.id for s in created if TAG not in s.fields["tags"]]
    assert not untagged, f"{len(untagged)} of {len(created)} sessions of the run lack {TAG}: {untagged[:5]}"
    left_running = [(s.id, s.fields["status"], s.fields["is_archived"]) for s in created
                    if s.fields["status"] not in ("exit", "error") or not s.fields["is_archived"]]
    assert not left_running, f"{len(left_running)} of {len(created)} sessions of the run were not cleaned up: {left_running[:5]}"


def test_a_workspace_run_changes_nothing_it_did_not_create_and_deletes_all_it_did():
    """The workspace API cleans up by deleting: what is left is exactly what was there before."""
    mock = build(MockConfig(spec_path=APIS["workspace"]))
    before = everything(mock)
    with BackgroundServer(mock.app, **mock.serve_options()) as server:
        result = run_suite_at(server.url, "--run-id", RUN_ID, "-n", "2", api="workspace")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    after = everything(mock)
    changed = [key for key, session in before.items() if after.get(key) != session]
    assert not changed, f"{len(changed)} sessions the run did not create changed, e.g. {changed[:3]}"
    left = [(s.tenant, s.id, s.fields["labels"]) for key, s in after.items() if key not in before]
    assert not left, f"{len(left)} sessions of the run were left behind: {left[:5]}"
