"""Field limits at their edges (CONTRACT.md §5): lengths count code points, not bytes or UTF-16
units, and null is accepted exactly where the contract says."""

from __future__ import annotations

import pytest

from contract_tests import rules

ASTRAL = "\N{GRINNING FACE}"  # one code point, four UTF-8 bytes, two UTF-16 units

WITHIN = {
    "title of 200 accented letters": ("title", {"title": "\u00e9" * 200}),
    "title of 200 emoji": ("title", {"title": ASTRAL * 200}),
    "null title": ("title", {"title": None}),
    "null playbook_id": ("playbook_id", {"playbook_id": None}),
    "tag of 64 emoji": ("tags", {"tags": [ASTRAL * 64]}),
    "50 tags": ("tags", {"tags": [f"t{i}" for i in range(49)]}),  # and the run's tag
}
BEYOND = {
    "title of 201 emoji": ("title", {"title": ASTRAL * 201}),
    "tag of 65 letters": ("tags", {"tags": ["a" * 65]}),
    "empty tag": ("tags", {"tags": [""]}),
    "51 tags": ("tags", {"tags": [f"t{i}" for i in range(50)]}),
    "null tags": ("tags", {"tags": None}),
    "null max_acu_limit": ("max_acu_limit", {"max_acu_limit": None}),
    "max_acu_limit of 0": ("max_acu_limit", {"max_acu_limit": 0}),
}


def create(api, fields: dict):
    body = {"prompt": "Limits check", **fields}
    if isinstance(body.get("tags"), list):
        body["tags"] = [api.run_tag, *body["tags"]]
    elif "tags" not in body:
        body["tags"] = [api.run_tag]
    return api.request("POST", api.sessions_path(), json_body=body)


@pytest.mark.parametrize("case", list(WITHIN), ids=list(WITHIN))
def test_limits_follow_the_contract_within(api, case):
    field, fields = WITHIN[case]
    rules.limits_follow_the_contract(create(api, fields), accepted=True, field=field)


@pytest.mark.parametrize("case", list(BEYOND), ids=list(BEYOND))
def test_limits_follow_the_contract_beyond(api, case):
    field, fields = BEYOND[case]
    rules.limits_follow_the_contract(create(api, fields), accepted=False, field=field)
