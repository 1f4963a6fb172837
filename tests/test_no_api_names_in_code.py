"""The mock and the suite are written for any API the kit has a spec for: no name of the v3 API (its
operations, members, statuses, error types, permissions, path and id prefixes) is written in their
code. Those live in the spec, its declaration and the mock's default data files; the kit's own
tests may name them."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
V3_NAMES = set("""
create_session list_sessions get_session archive_session unarchive_session send_message list_messages
terminate_session replace_tags session_id devin_id org_id is_archived status_detail event_id acus_consumed
pull_requests playbook_id structured_output service_user_id max_acu_limit end_cursor has_next_page created_at
updated_at user_request session_not_found session_archived session_terminated not_found validation_error
bad_request unauthenticated method_not_allowed unsupported_media_type payload_too_large limit_exceeded
rate_limited internal_error bad_gateway gateway_timeout upgrade_required ManageOrgSessions ViewOrgSessions
SessionResponse""".split())
PREFIXES = ("/v3/", "devin-", "cog_", "org-", "problem+json")


def literals(path: Path):
    """The string literals of a module, docstrings aside: (line, text)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    for index, token in enumerate(tokens):
        if token.type != tokenize.STRING:
            continue
        before = [t for t in tokens[:index] if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        standalone = (not before or before[-1].type == tokenize.NEWLINE or before[-1].string == ":") and \
            (after is None or after.type in (tokenize.NEWLINE, tokenize.NL))
        if not standalone:
            yield token.start[0], token.string


@pytest.mark.parametrize("package", ["api_model", "mock_server", "contract_tests"])
def test_no_name_of_the_v3_api_is_written_in_code(package):
    found = []
    for path in sorted((ROOT / package).glob("*.py")):
        for line, text in literals(path):
            names = set(re.findall(r"[A-Za-z_]+", text)) & V3_NAMES
            prefixes = [p for p in PREFIXES if p in text]
            if names or prefixes:
                found.append(f"{path.relative_to(ROOT)}:{line}: {sorted(names) + prefixes}")
    assert not found, "\n".join(found)


def test_the_check_finds_a_name_where_one_is_written(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('"""A docstring may say session_id."""\nMEMBER = "session_id"\n')
    assert [text for _, text in literals(module)] == ['"session_id"']
