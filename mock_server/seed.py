"""The starting sessions: the API's seed file, in every tenant of the credentials, the same for the same seed.

The seed file (`x-kit.mock.seed`) lists sessions as the API represents them, without their
tenancy members or instants, and without their id unless it is fixed (the spec's examples name
one). Each instant is given as an `age`: seconds before the mock starts (`created`, `updated`,
any other instant member by name; a sub-collection item's own `age`). Each starts as a create
would make it in its tenant (its create-body members as the body, the create's `set` rules, the
tenant's first credential) and takes the entry's members over that. A value may be declared
(`{from: credential.user}`, `{template: ...}`). `--seed N` draws the ids and stretches the ages,
the same way for the same N, so a UI shows "2 hours ago", not a fixed date.
"""

from __future__ import annotations

import random
from typing import Any

from api_model import Api, Credential, FileError, parse_value, read_yaml

from .lifecycle import Lifecycle, Request, make_id, value_of
from .store import Record


def tenants_of(api: Api, credentials: tuple[Credential, ...]) -> list[tuple[tuple[str, ...], Credential]]:
    """Every tenant a credential may use, once, with the first credential that may."""
    order = list(api.kit.resource.tenancy)
    found: dict[tuple[str, ...], Credential] = {}
    for credential in credentials:
        for tenant in credential.tenants(order):
            found.setdefault(tenant, credential)
    return list(found.items())


def seed_records(api: Api, lifecycle: Lifecycle, credentials: tuple[Credential, ...], seed: int,
                 now: float) -> list[Record]:
    path = api.kit.mock_data.get("seed")
    entries = read_yaml(path, "seed file").get("sessions", []) if path else []
    if not isinstance(entries, list):
        raise FileError(f"seed file {path}: expected 'sessions:' to be a list")
    rng = random.Random(seed)
    records = []
    for tenant, credential in tenants_of(api, credentials):
        for entry in entries:
            records.append(_record(api, lifecycle, entry, tenant, credential, rng, now))
    return records


def _record(api: Api, lifecycle: Lifecycle, entry: dict[str, Any], tenant: tuple[str, ...],
            credential: Credential, rng: random.Random, now: float) -> Record:
    """An entry over what a create would make in `tenant`."""
    r = api.kit.resource
    stretch = rng.uniform(0.8, 1.2)
    record_id = make_id(r.id_template, rng)  # drawn even when fixed, so that the others keep theirs
    record_id = str(entry.get(r.id_field, record_id))
    # The entry's create-body members go in as a create's body would, so that the create's `set`
    # rules see them (a session's origin decides its creator, say).
    body = {name: value for name, value in entry.items() if name in lifecycle.create_body}
    request = Request(body=body, path=dict(zip(r.tenancy, tenant)), credential=credential)
    fields = lifecycle.new_record(lifecycle.create, tenant, request, now, record_id, first_item=False).fields
    for name, raw in entry.items():
        if name not in ("age", r.id_field) and name not in r.children:
            fields[name] = value_of(parse_value(raw), fields, request, now)
    given = dict(entry.get("age", {}))
    created_age = given.pop("created", 0)
    ages = {r.created: created_age, r.updated: given.pop("updated", created_age), **given}
    truncate = lifecycle.representation.truncate
    for member, age in ages.items():
        fields[member] = truncate(now - age * stretch)
    children = {}
    for name, child in r.children.items():
        items = []
        for number, raw in enumerate(entry.get(name, []), start=1):
            item = {k: v for k, v in raw.items() if k != "age"}
            item[child.id] = f"{record_id}-{number}"
            item[child.created] = truncate(now - raw.get("age", 0) * stretch)
            items.append(item)
        children[name] = items
    return Record(record_id, tenant, fields[r.created], fields, children)
