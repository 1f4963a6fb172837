"""The contract suite has teeth: each broken server of the zoo fails the test meant for its rule,
and the failure names that rule; the correct mock passes, and so does every correct server that
reads the contract's open points differently from the mock."""

from __future__ import annotations

import pytest

from api_model import APIS
from mock_server import MockConfig, create_app
from tests.suite import run_suite
from tests.zoo import ZOO
from tests.zoo.correct import CORRECT


@pytest.mark.parametrize("broken", [pytest.param(b, id=b.name) for b in ZOO])
def test_broken_server_is_caught(broken):
    result = run_suite(broken.make(), "-k", broken.select, "-x", api=broken.api)
    output = result.stdout + result.stderr
    assert result.returncode == 1, f"{broken.name} ({broken.description}) was not caught:\n{output[-3000:]}"
    assert f"contract rule `{broken.rule}` broken" in output, (
        f"{broken.name} failed, but not on rule {broken.rule}:\n{output[-3000:]}")


@pytest.mark.parametrize("api", APIS)
def test_correct_mock_passes_the_selections(api):
    expression = " or ".join(f"({b.select})" for b in ZOO if b.api == api)
    result = run_suite(create_app(MockConfig(spec_path=APIS[api])), "-k", expression, api=api)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]


def test_the_whole_suite_passes_on_the_workspace_mock():
    """`pytest contract_tests --api workspace` against the mock serving it, as a deployment's run would."""
    result = run_suite(create_app(MockConfig(spec_path=APIS["workspace"])), api="workspace")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert " passed" in output and "skipped" not in output, output[-2000:]


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in CORRECT])
def test_correct_variant_passes(variant):
    """The whole suite passes a correct server that is not the mock: a false failure is a bug too."""
    result = run_suite(variant.make(), "-x", api=variant.api)
    assert result.returncode == 0, (
        f"{variant.name} ({variant.readings}) is correct but failed the suite:\n{(result.stdout + result.stderr)[-5000:]}")
