"""The admin API's document for the API being served: `spec/admin.yaml`, completed.

The template says what is the same for every API (reset, fixtures). What depends on the API is
filled in from its document and declaration: the fixture and state schemas (the representation's
members, referenced from the API's own document, with the create and update bodies' limits where
a member comes from them, and a bound on every other string and list), the envelope, the
path that sets a session's members, `PATCH /_mock<the API's path of one session>`, and the
operations the runtime controls may name.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote, unquote

from api_model import Api, Open, Source, properties, resolve_ref, schema

MAX_TEXT = 2048  # a bound on fixture strings the representation leaves unbounded
MAX_LIST = 100
SET_STATE = "set_session_state"
PREFIX = "/_mock"  # where the admin API lives, beside the API's own paths
ERRORS = ("400", "401", "403", "404", "413", "415", "422", "500")


def _bounded(api: Api, member_ref: dict[str, Any]) -> dict[str, Any]:
    """A member's schema, with a bound where the representation sets none on strings and lists."""
    resolved = resolve_ref(api.document, {"$ref": "#" + unquote(member_ref["$ref"].partition("#")[2])}) or {}
    options = [resolved, *resolved.get("anyOf", []), *resolved.get("oneOf", [])]
    extra: dict[str, Any] = {}
    if any(o.get("type") == "string" and "enum" not in o and "maxLength" not in o for o in options):
        extra["maxLength"] = MAX_TEXT
    if any(o.get("type") == "array" and "maxItems" not in o for o in options):
        extra["maxItems"] = MAX_LIST
    return {**member_ref, **extra}


def _schema_pointer(api: Api, pointer: str) -> str:
    """`pointer`, or where the `$ref`s found there lead (a JSON pointer cannot pass through a `$ref`)."""
    def at(pointer: str) -> Any:
        node: Any = api.document
        for token in pointer.removeprefix("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    node = at(pointer)
    while isinstance(node, dict) and "$ref" in node:
        pointer = unquote(node["$ref"].removeprefix("#"))
        node = at(pointer)
    return pointer


def admin_document(api: Api, template: dict[str, Any], product_name: str, max_children: int) -> dict[str, Any]:
    """The admin document for `api`, whose document the admin one refers to as `product_name`."""
    document = copy.deepcopy(template)
    r = api.kit.resource
    ref = lambda pointer: {"$ref": f"{product_name}#{quote(pointer, safe='/~')}"}  # noqa: E731
    # Members the create or update body gives carry the body's limits.
    from_body: dict[str, dict[str, Any]] = {}
    for op_id, behaviour in api.kit.behaviours.items():
        operation = api.operations[op_id]
        if behaviour.kind in ("create", "update") and operation.body_pointer:
            body = _schema_pointer(api, operation.body_pointer)
            for name in properties(api.document, {"$ref": f"#{body}"}):
                from_body.setdefault(name, ref(f"{body}/properties/{name}"))
    members = {}
    for name in properties(api.document, schema(api.document, r.schema)):
        member = from_body.get(name) or ref(f"/components/schemas/{r.schema}/properties/{name}")
        members[name] = _bounded(api, member) if name not in from_body else member
    fixture = {"type": "object", "additionalProperties": False, "required": [r.id_field],
               "description": template["components"]["schemas"]["FixtureSession"]["description"],
               "properties": dict(members)}
    for name, child in r.children.items():
        fixture["properties"][name] = {"type": "array", "maxItems": max_children,
                                       "items": {"$ref": f"#/components/schemas/Fixture_{name}"}}
        document["components"]["schemas"][f"Fixture_{name}"] = _child_schema(api, name, ref)
    schemas = document["components"]["schemas"]
    schemas["FixtureSession"] = fixture
    fixed = {r.id_field, r.created, r.updated, *(m for m in r.tenancy.values() if m)}  # the store moves `updated`
    schemas["SessionState"] = {**schemas["SessionState"], "additionalProperties": False,
                               "properties": {n: s for n, s in members.items() if n not in fixed}}
    envelope = api.kit.envelope
    document["components"]["responses"]["Problem"]["content"] = {
        envelope.media_type: {"schema": ref(f"/components/schemas/{envelope.schema}")}}
    item = api.by_kind("read")[0]
    document["paths"][f"{PREFIX}{item.path}"] = {
        "parameters": [{"name": p.name, "in": "path", "required": True, "schema": ref(p.schema_pointer)}
                       for p in item.parameters if p.location == "path"],
        "patch": {
            "tags": ["mock"],
            "operationId": SET_STATE,
            "summary": "Set any members of a session",
            "description": "Set members directly, skipping the lifecycle rules, so that every state can be "
                           "shown; the update instant moves if anything changed. Answers the session as a read does.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SessionState"}}}},
            "responses": {
                "200": {"description": "The session after the change.", "content": {"application/json": {
                    "schema": ref(f"/components/schemas/{r.schema}")}}},
                **{code: {"$ref": "#/components/responses/Problem"} for code in ERRORS},
            },
        },
    }
    _add_progress_and_items(document, api, item.path, document["paths"][f"{PREFIX}{item.path}"]["parameters"], ref)
    _name_operations(api, document)
    return document


def append_operation(child: str) -> str:
    return f"append_{child}"


def _add_progress_and_items(document: dict[str, Any], api: Api, path: str, parameters: list[Any], ref: Any) -> None:
    """A session's scripted progress, and an item appended to each of its sub-collections; a
    progress step appends items of the same shape."""
    r = api.kit.resource
    schemas = document["components"]["schemas"]
    step = schemas["ProgressStep"]
    step["additionalProperties"] = False
    problems = {code: {"$ref": "#/components/responses/Problem"} for code in ERRORS}
    document["paths"][f"{PREFIX}{path}/progress"] = {"parameters": parameters, "post": {
        "tags": ["mock"],
        "operationId": "start_progress",
        "summary": "Script a session's progress",
        "description": "The session plays these steps, the first `after_s` seconds from now, each next one "
                       "`after_s` after the previous; a new script replaces the steps it has left.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ProgressScript"}}}},
        "responses": {"200": {"$ref": "#/components/responses/Progress"}, **problems},
    }}
    for name, child in r.children.items():
        item = {"$ref": f"#/components/schemas/Fixture_{name}"}
        step["properties"][name] = {"type": "array", "maxItems": 100, "items": item}
        document["paths"][f"{PREFIX}{path}/{name}"] = {"parameters": parameters, "post": {
            "tags": ["mock"],
            "operationId": append_operation(name),
            "summary": f"Append an item to a session's {name}",
            "description": f"An item at the end of the session's `{name}`, from any source, skipping the "
                           "lifecycle rules; the update instant moves. Answers the item as the API lists it.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": item}}},
            "responses": {"200": {"description": "The item.", "content": {"application/json": {
                "schema": ref(f"/components/schemas/{child.schema}")}}}, **problems},
        }}


def _child_schema(api: Api, name: str, ref: Any) -> dict[str, Any]:
    child = api.kit.resource.children[name]
    sourced: dict[str, dict[str, Any]] = {}  # item member -> the body member an append takes it from
    literal: set[str] = set()
    for op_id, behaviour in api.kit.behaviours.items():
        if behaviour.append is not None and behaviour.append.child == name:
            body = api.operations[op_id].body_pointer
            body = _schema_pointer(api, body) if body else None
            for member, value in behaviour.append.item.items():
                value = value.value if isinstance(value, Open) else value
                if isinstance(value, Source) and value.kind == "from" and value.text.startswith("body.") and body:
                    sourced.setdefault(member, ref(f"{body}/properties/{value.text.removeprefix('body.')}"))
                elif not isinstance(value, (Source, Open)):
                    literal.add(member)
    item_members = {}
    for member in properties(api.document, schema(api.document, child.schema)):
        if member != child.id:
            plain = ref(f"/components/schemas/{child.schema}/properties/{member}")
            item_members[member] = sourced.get(member) or _bounded(api, plain)
    return {"type": "object", "additionalProperties": False, "properties": item_members,
            "required": sorted(m for m in sourced if m not in literal),
            "description": f"An item of `{name}`; its id is made, its instant defaults to the session's creation."}


def _name_operations(api: Api, document: dict[str, Any]) -> None:
    """The runtime controls name the served API's operations: only those (another is a 422 naming
    it), and the examples only where the API has the operations they name."""
    schemas = document["components"]["schemas"]
    own = {"$ref": "#/components/schemas/OperationControls"}
    schemas["OperationsControls"] = {**schemas["OperationsControls"], "additionalProperties": False,
                                     "properties": {op_id: own for op_id in api.operations}}
    controls = document["paths"][f"{PREFIX}/controls"]
    for method in ("put", "patch"):
        content = controls[method]["requestBody"]["content"]["application/json"]
        content["examples"] = {name: example for name, example in content.get("examples", {}).items()
                               if set(example["value"].get("operations") or {}) <= set(api.operations)}
