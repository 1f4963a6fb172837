"""The specs as the common client generators take them.

openapi-python-client, datamodel-code-generator and openapi-typescript build clients of both APIs
without a warning, keeping every schema and every documented response; the Python models they
generate parse every answer the mock gives over a run of the contract suite (errors included, forced
by `Prefer: code=` for each documented status), and a TypeScript client narrows errors by their
type without a cast under `tsc --strict`. Each check skips, with its reason, where its tool is missing.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api_model import APIS, Api, Operation, load, resolve_ref
from mock_server import MockConfig, build
from mock_server.server import BackgroundServer
from tests.suite import run_suite_at

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
# The part of the suite whose answers are parsed: every operation's success (schemathesis' calls),
# and real errors: 401, 403, 404, 405, 409, 415, 400, 422 (kept under a minute for both APIs).
SUITE_SELECTION = ("conforms or envelope or requires_permission or foreign_session_is_not_found or refusal or taken"
                   " or unarchive_is_idempotent")
REAL_ERRORS = {401, 403, 404, 409, 422}


@pytest.fixture(scope="module", params=sorted(APIS))
def api_name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def api(api_name) -> Api:
    return load(APIS[api_name])


def object_schemas(api: Api) -> set[str]:
    """The component schemas a client generator makes a class of: objects and enums."""
    schemas = api.document["components"]["schemas"]
    return {name for name, node in schemas.items() if node.get("type") == "object" or "enum" in node}


def response_schema(api: Api, operation: Operation, status: int) -> str | None:
    """The name of the schema of `operation`'s `status` answer; None for an answer without a body."""
    raw = resolve_ref(api.document, {"$ref": f"#{operation.pointer}"})["responses"][str(status)]
    content = resolve_ref(api.document, raw).get("content", {})
    return next((media["schema"]["$ref"].rsplit("/", 1)[1] for media in content.values()), None)


def error_variants(api: Api) -> set[str]:
    return {response_schema(api, op, status) for op in api.operations.values() for status in op.statuses if status >= 400}


# ---------------------------------------------------------------------------------------------
# The shape generators need
# ---------------------------------------------------------------------------------------------


def test_error_variants_are_the_envelope_narrowed_in_one_self_contained_schema(api):
    """Generators cannot merge an enum with a `const` through allOf (openapi-python-client drops the
    schema): each variant is a whole object schema, with the envelope's members and requirements,
    its `type` and `status` narrowed to single values (or a few types)."""
    schemas = api.document["components"]["schemas"]
    envelope = schemas[api.kit.envelope.schema]
    members = api.kit.envelope.members
    for name in error_variants(api):
        variant = schemas[name]
        assert "allOf" not in variant and variant["type"] == "object", name
        assert variant["required"] == envelope["required"] and set(variant["properties"]) == set(envelope["properties"]), name
        assert variant.get("additionalProperties") == envelope.get("additionalProperties"), name
        status = variant["properties"][members["status"]]
        types = variant["properties"][members["type"]]
        assert status["type"] == "integer" and isinstance(status["const"], int), name
        assert types["type"] == "string", name
        assert set(types.get("enum", [types.get("const")])) == set(api.errors.of_status(status["const"])), name
        for member, node in variant["properties"].items():
            if member not in (members["type"], members["status"], members["details"]):
                assert node == envelope["properties"][member], f"{name}.{member} differs from the envelope's"
        # Details: the located list on a 422; elsewhere the envelope's list-or-null (a member typed
        # as null alone disappears from openapi-fetch's error types), null by `error_is_envelope`.
        details, listed = variant["properties"][members["details"]], envelope["properties"][members["details"]]["anyOf"]
        if status["const"] == 422:
            assert {k: v for k, v in details.items() if k != "description"} == listed[0], name
        else:
            assert details["anyOf"] == listed, name


def test_validation_details_locate_with_a_plain_list(api):
    """`loc` is a list of strings and integers: `prefixItems` becomes a one-item tuple in TypeScript.
    That it starts with path, query, header or body is the `error_is_envelope` rule's to check."""
    schemas = api.document["components"]["schemas"]
    envelope = schemas[api.kit.envelope.schema]
    details = envelope["properties"][api.kit.envelope.members["details"]]
    item = resolve_ref(api.document, next(o for o in details["anyOf"] if o.get("type") == "array")["items"])
    assert item["properties"]["loc"]["items"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert "prefixItems" not in item["properties"]["loc"]


# ---------------------------------------------------------------------------------------------
# openapi-python-client and datamodel-code-generator, without a warning, nothing dropped
# ---------------------------------------------------------------------------------------------


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=300, cwd=cwd)


def import_from(directory: Path, name: str) -> Any:
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(directory))


@dataclass
class PythonClient:
    package: Any
    operations: dict[str, Any]  # operationId -> its generated module (`_parse_response`)
    returncode: int  # not 0 when it warned (--fail-on-warning)
    output: str


@pytest.fixture(scope="module")
def python_client(api, tmp_path_factory) -> PythonClient:
    pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed")
    into = tmp_path_factory.mktemp("opc")
    name = f"generated_{api.path.stem}_client"
    config = into / "config.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatter needed to import the code
    result = run(sys.executable, "-m", "openapi_python_client", "generate", "--path", api.path, "--meta", "none",
                 "--output-path", into / name, "--config", config, "--fail-on-warning")
    output = result.stdout + result.stderr
    if not (into / name).is_dir():
        pytest.fail(f"openapi-python-client generated nothing:\n{output}")
    package = import_from(into, name)
    api_package = importlib.import_module(f"{name}.api")
    modules = [importlib.import_module(info.name) for info in pkgutil.walk_packages(api_package.__path__, f"{name}.api.")]
    return PythonClient(package, {m.__name__.rsplit(".", 1)[1]: m for m in modules if hasattr(m, "_parse_response")},
                        result.returncode, output)


@pytest.fixture(scope="module")
def pydantic_models(api, tmp_path_factory) -> tuple[Any, str]:
    pytest.importorskip("datamodel_code_generator", reason="datamodel-code-generator is not installed")
    into = tmp_path_factory.mktemp("dmcg")
    name = f"generated_{api.path.stem}_models"
    result = run(sys.executable, "-m", "datamodel_code_generator", "--input", api.path, "--input-file-type", "openapi",
                 "--output", into / f"{name}.py", "--output-model-type", "pydantic_v2.BaseModel", "--formatters", "builtin")
    assert result.returncode == 0, result.stderr
    return import_from(into, name), result.stderr


def test_openapi_python_client_takes_the_spec_without_a_warning_and_drops_nothing(api, python_client):
    assert python_client.returncode == 0 and "warning" not in python_client.output.lower(), python_client.output
    assert object_schemas(api) <= set(python_client.package.models.__all__)
    assert set(python_client.operations) == set(api.operations)
    for operation_id, operation in api.operations.items():
        parser = inspect.getsource(python_client.operations[operation_id]._parse_response)
        for status in operation.statuses:
            assert f"response.status_code == {status}:" in parser, f"{operation_id} {status} was dropped"


def test_datamodel_code_generator_takes_the_spec_without_a_warning_and_drops_nothing(api, pydantic_models):
    models, warnings = pydantic_models
    assert warnings == ""
    missing = {name for name in api.document["components"]["schemas"] if not hasattr(models, name)}
    assert not missing


# ---------------------------------------------------------------------------------------------
# The mock's real answers, parsed by the generated models
# ---------------------------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    path: str
    forced: bool  # asked for with `Prefer: code=`
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.body)


class Recorder:
    """ASGI middleware that keeps every answer the app gives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answers: list[Answer] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        forced = any(name == b"prefer" for name, _ in scope["headers"])
        start: dict[str, Any] = {}
        body = bytearray()

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        self.answers.append(Answer(scope["method"], scope["path"], forced, start["status"], start.get("headers", []),
                                   bytes(body)))


def force_every_documented_error(url: str, api: Api) -> None:
    """Each documented error status of each operation, each of its types, through `Prefer`."""
    with httpx.Client(base_url=url) as client:
        for operation in api.operations.values():
            path = operation.fill({p.name: "x" for p in operation.parameters if p.location == "path"})
            for status in (s for s in operation.statuses if s >= 400):
                for error_type in api.errors.of_status(status):
                    answer = client.request(operation.method, path, headers={"Prefer": f"code={status}, type={error_type}"})
                    assert answer.status_code == status, answer.text


@pytest.fixture(scope="module")
def answers(api, api_name) -> list[Answer]:
    """The mock's answers to a run of the suite (one part of it) and to every forced error.
    Whether the suite passes is tests/test_suite_runs.py's to check: here, its answers matter."""
    mock = build(MockConfig(spec_path=api.path))
    recorder = Recorder(mock.app)
    with BackgroundServer(recorder, **mock.serve_options()) as server:
        run_suite_at(server.url, "-k", SUITE_SELECTION, api=api_name)
        force_every_documented_error(server.url, api)
    return [a for a in recorder.answers if a.method != "HEAD"]  # a HEAD answer has no body to parse


def operation_of(api: Api, answer: Answer) -> Operation | None:
    """The operation the mock served, as its router finds it (None: no route, or another method)."""
    for template in api.paths:
        if template.regex.fullmatch(answer.path):
            return template.operations.get(answer.method)
    return None


def test_the_answers_cover_every_documented_response(api, answers):
    answered = {(op.operation_id, a.status) for a in answers if (op := operation_of(api, a))}
    documented = {(op.operation_id, status) for op in api.operations.values() for status in op.statuses}
    assert documented <= answered, sorted(documented - answered)
    real = {a.status for a in answers if not a.forced and operation_of(api, a)}
    assert REAL_ERRORS | {op.success for op in api.operations.values()} <= real


def test_openapi_python_client_parses_every_answer_into_its_documented_model(api, answers, python_client):
    client = python_client.package.Client(base_url="http://mock", raise_on_unexpected_status=True)
    envelope = getattr(python_client.package.models, api.kit.envelope.schema)
    failures = []
    for answer in answers:
        operation = operation_of(api, answer)
        try:
            if operation is None:  # no route, or a method the path does not document: the envelope
                if answer.status >= 400:
                    envelope.from_dict(json.loads(answer.body))
                continue
            expected = response_schema(api, operation, answer.status)
            parse = python_client.operations[operation.operation_id]._parse_response
            parsed = parse(client=client, response=answer.response())
            if type(parsed).__name__ != (expected or "NoneType"):
                failures.append(f"{answer.method} {answer.path} {answer.status}: {type(parsed).__name__}, not {expected}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported, with its answer
            failures.append(f"{answer.method} {answer.path} {answer.status}: {type(exc).__name__}: {exc}"
                            f" <- {answer.body[:200]!r}")
    assert not failures, f"{len(failures)} of {len(answers)} answers:\n" + "\n".join(failures[:20])


def test_datamodel_code_generator_models_validate_every_answer(api, answers, pydantic_models):
    models, _ = pydantic_models
    failures = []
    for answer in answers:
        operation = operation_of(api, answer)
        if operation is None and answer.status < 400:
            continue
        name = response_schema(api, operation, answer.status) if operation else api.kit.envelope.schema
        if name is None:
            continue  # an answer without a body
        try:
            getattr(models, name).model_validate_json(answer.body)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, with its answer
            failures.append(f"{answer.method} {answer.path} {answer.status} as {name}: {exc}")
    assert not failures, f"{len(failures)} of {len(answers)} answers:\n" + "\n".join(failures[:20])


# ---------------------------------------------------------------------------------------------
# openapi-typescript and openapi-fetch under tsc --strict
# ---------------------------------------------------------------------------------------------

# Errors narrowed by their type, with no cast: the status follows the type, every variant keeps the
# details member, which is a list (never null) on a validation error, and `loc` is a list.
TYPESCRIPT_USE = """\
import createClient from "openapi-fetch";
import type {{ components, paths }} from "./api";

const client = createClient<paths>({{ baseUrl: "http://127.0.0.1:8080" }});

export async function read(): Promise<string> {{
  const {{ data, error }} = await client.{method}("{path}", {{ params: {{ path: {parameters} }} }});
  if (error === undefined) return JSON.stringify(data);
  const envelope: components["schemas"]["{envelope}"] = error;
  const details: unknown[] | null = error.{details};
  switch (error.{type}) {{
    case "{invalid}": {{
      const status: 422 = error.{status};
      const second: string | number | undefined = error.{details}[0].loc[1];
      return `${{status}} ${{error.{details}.map((d) => d.loc.join(".")).join(", ")}} ${{second}}`;
    }}
    case "{no_resource}": {{
      const status: 404 = error.{status};
      return `${{status}} ${{envelope.{message}}} ${{details}}`;
    }}
    default:
      return `${{error.{status}}} ${{error.{message}}}`;
  }}
}}
"""
TSCONFIG = {"compilerOptions": {"strict": True, "noEmit": True, "target": "es2022", "module": "esnext",
                                "moduleResolution": "bundler", "skipLibCheck": True}, "files": ["use.ts"]}


def test_typescript_client_narrows_errors_without_a_cast(api, tmp_path):
    tools = [NODE_BIN / "openapi-typescript", NODE_BIN / "tsc"]
    if not all(tool.exists() for tool in tools) or shutil.which("node") is None:
        pytest.skip("openapi-typescript and typescript are not installed (npm install, from package.json)")
    # Run away from the project's redocly.yaml: openapi-typescript would take its API list instead.
    generated = run(NODE_BIN / "openapi-typescript", api.path, "-o", tmp_path / "api.d.ts", cwd=tmp_path)
    assert generated.returncode == 0 and "⚠" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    read = api.by_kind("read")[0]
    members = api.kit.envelope.members
    parameters = json.dumps({p.name: "x" for p in read.parameters if p.location == "path"})
    (tmp_path / "use.ts").write_text(TYPESCRIPT_USE.format(
        method=read.method, path=read.path, parameters=parameters, envelope=api.kit.envelope.schema,
        invalid=api.errors.of_status(422)[0], no_resource=api.kit.errors["no-resource"],
        **{role: members[role] for role in ("type", "status", "details", "message")}))
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    compiled = run(NODE_BIN / "tsc", "-p", tmp_path, cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
