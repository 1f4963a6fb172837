"""The mock and the suite are written for any API the kit has a spec for: no name of the v3 API or
of the workspace API (their operations, members, statuses, error types, permissions, path, id and
token prefixes) is written in their code. Those live in the specs, their declarations and the
mock's default data files; the kit's own tests may name them."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from contract_tests import RULES

ROOT = Path(__file__).resolve().parent.parent
V3_NAMES = set("""
create_session list_sessions get_session archive_session unarchive_session send_message list_messages
terminate_session replace_tags session_id devin_id org_id is_archived status_detail event_id acus_consumed
pull_requests playbook_id structured_output service_user_id max_acu_limit end_cursor has_next_page created_at
updated_at user_request session_not_found session_archived session_terminated not_found validation_error
bad_request unauthenticated method_not_allowed unsupported_media_type payload_too_large limit_exceeded
rate_limited internal_error bad_gateway gateway_timeout upgrade_required ManageOrgSessions ViewOrgSessions
SessionResponse""".split())
WORKSPACE_NAMES = set("""
update_session delete_session already_exists archived_at next_cursor labels creator display_name input_tokens
output_tokens total_tokens last_generation_input_tokens ws_mock ws_other usr_ada contract-run""".split())
PREFIXES = ("/v3/", "devin-", "cog_", "org-", "problem+json", "/api/v1/", "/ws/")


TEXT_TOKENS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}  # f-strings split on 3.12+
SKIPPED = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}


def literals(path: Path):
    """The string literals of a module (f-strings' text included), docstrings aside: (line, text)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline) if t.type not in SKIPPED]
    for index, token in enumerate(tokens):
        if token.type not in TEXT_TOKENS:
            continue
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        standalone = (before is None or before.type == tokenize.NEWLINE or before.string == ":") and \
            (after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER))
        if not standalone:
            yield token.start[0], token.string


@pytest.mark.parametrize("package", ["api_model", "mock_server", "contract_tests"])
def test_no_name_of_either_api_is_written_in_code(package):
    found = []
    for path in sorted((ROOT / package).glob("*.py")):
        for line, text in literals(path):
            if text.strip("'\"") in RULES:
                continue  # the rules keep the names they have always had
            names = {name for name in V3_NAMES | WORKSPACE_NAMES if name in text}  # inside longer names too
            prefixes = [p for p in PREFIXES if p in text]
            if names or prefixes:
                found.append(f"{path.relative_to(ROOT)}:{line}: {sorted(names) + prefixes}")
    assert not found, "\n".join(found)


def test_the_check_finds_a_name_where_one_is_written(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('"""A docstring may say session_id."""\nMEMBER = "session_id"\n')
    assert [text for _, text in literals(module)] == ['"session_id"']
