"""bench/run.py: every operation is measured with its documented request, and a pooled operation
(a delete, an append) walks through sessions of its own, so that no cell is a string of 404s."""

from __future__ import annotations

import shutil

import pytest

from api_model import APIS, load
from bench.run import POOLED, READS, Pools, parse_wrk, plan, run_wrk
from mock_server import MockConfig, build
from mock_server.server import BackgroundServer

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:1/x
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.12ms    2.01ms  31.50ms   90.00%
  Latency Distribution
     50%    7.90ms
     99%   15.20ms
  3000 requests in 1.00s, 1.00MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   2990.50
"""


@pytest.mark.parametrize("name", APIS)
def test_every_operation_is_planned_reads_first_and_pooled_last(name):
    api = load(APIS[name])
    targets = plan(api)
    assert sorted(t.operation_id for t in targets) == sorted(api.operations)
    kinds = [t.kind for t in targets]
    reads = [i for i, kind in enumerate(kinds) if kind in READS]
    pooled = [i for i, kind in enumerate(kinds) if kind in POOLED]
    assert reads == list(range(len(reads))) and pooled == list(range(len(kinds) - len(pooled), len(kinds)))
    assert all(t.id_value for t in targets if t.pooled)  # a pool copies the session the example names


def test_wrk_output_is_read_with_its_failures():
    result = parse_wrk(WRK_OUTPUT)
    assert (result.requests_per_s, result.p50_ms, result.p99_ms, result.max_ms, result.failures) == (2990.5, 7.9, 15.2, 31.5, 12)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.parametrize("name", APIS)
def test_a_pooled_cell_answers_only_successes(name, tmp_path):
    api = load(APIS[name])
    token = api.default_credentials()[0].token
    mock = build(MockConfig(spec_path=APIS[name], max_body_bytes=64 * 1024 * 1024))
    pools = Pools(api, tmp_path, seconds=1)  # sized as the bench sizes them: a faster mock must not run out
    with BackgroundServer(mock.app, **mock.serve_options()) as server:
        for target in (t for t in plan(api) if t.pooled):
            paths_file, _ = pools.load(server.url, target)
            walked = paths_file.read_text().split()
            assert len(set(walked)) == len(walked) == pools.size(target)
            result = run_wrk(server.url + target.path, target.method, 1, 4, tmp_path, token=token, body=target.body,
                             paths_file=paths_file)
            assert result.failures == 0 and result.requests_per_s > 0, target.operation_id
