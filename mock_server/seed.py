"""Realistic starting sessions, in every status, the same for the same seed.

Ids, titles, statuses, tags and message history depend only on the seed; timestamps are
offsets back from the moment of seeding, so a UI shows "2 hours ago", not a fixed date.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from .store import Message, Session

# (status, status_detail, archived): every status of the spec, the common details, both archive states.
STATES: tuple[tuple[str, str | None, bool], ...] = (
    ("new", None, False),
    ("claimed", None, False),
    ("running", "working", False),
    ("running", "waiting_for_user", False),
    ("running", "waiting_for_approval", False),
    ("running", "finished", False),
    ("resuming", None, False),
    ("suspended", "inactivity", False),
    ("suspended", "usage_limit_exceeded", False),
    ("suspended", "out_of_credits", False),
    ("suspended", "user_request", True),
    ("exit", None, False),
    ("exit", "finished", True),
    ("error", "error", False),
    ("error", None, True),
)

TASKS = (
    ("Fix the flaky login test", "bug_fixing", "Test stability"),
    ("Upgrade the billing service to Python 3.12", "migrations_and_upgrades", "Runtime upgrade"),
    ("Add pagination to the audit log endpoint", "feature_development", "API"),
    ("Write unit tests for the invoice parser", "unit_test_generation", "Parsers"),
    ("Document the deployment runbook", "documentation_and_content", "Runbooks"),
    ("Speed up the nightly ETL job", "refactoring_and_optimization", "Data pipelines"),
    ("Investigate the 502s on the checkout page", "research_and_exploration", "Incidents"),
    ("Set up the CI cache for the monorepo", "ci_cd_and_devops", "CI"),
    ("Review the auth middleware for token leaks", "code_review_and_analysis", "Security review"),
    ("Remove dead feature flags", "code_quality_and_security", "Cleanup"),
)
TAGS = ("frontend", "backend", "ci", "urgent", "customer", "tech-debt", "q4")
ORIGINS = ("webapp", "slack", "api", "cli", "linear", "jira")
REPLIES = (
    "On it. I'll start by reproducing the problem locally.",
    "I've opened a pull request with the change and a test.",
    "I need access to the staging database to continue; can you grant it?",
)


def _session(rng: random.Random, tenant: str, now: int, state: tuple[str, str | None, bool]) -> Session:
    status, detail, archived = state
    title, category, subcategory = rng.choice(TASKS)
    session_id = f"devin-{rng.getrandbits(128):032x}"
    created = now - rng.randint(600, 30 * 86400)
    updated = min(now, created + rng.randint(60, 3 * 86400))
    messages = [Message(f"{session_id}-1", "user", f"{title}. Keep the change small and add tests.", created)]
    for number, reply in enumerate(rng.sample(REPLIES, rng.randint(0, len(REPLIES))), start=2):
        messages.append(Message(f"{session_id}-{number}", "devin", reply, min(updated, created + 60 * number)))
    has_pr = status in ("exit", "running") and rng.random() < 0.6
    return Session(
        id=session_id,
        tenant=tenant,
        status=status,
        status_detail=detail,
        created_at=created,
        updated_at=updated,
        archived=archived,
        tags=sorted(rng.sample(TAGS, rng.randint(0, 3))),
        title=title,
        messages=messages,
        attributes={
            "origin": rng.choice(ORIGINS),
            "category": category if status in ("exit", "running") else None,
            "subcategory": subcategory if status in ("exit", "running") else None,
            "acus_consumed": round(rng.uniform(0, 40), 2),
            "pull_requests": (
                [{"pr_url": f"https://github.com/acme/app/pull/{rng.randint(100, 9999)}", "pr_state": rng.choice(["open", "merged", "closed"])}]
                if has_pr
                else []
            ),
            "structured_output": {"summary": "Done", "files_changed": rng.randint(1, 12)} if status == "exit" else None,
            "user_id": f"user-{rng.getrandbits(32):08x}",
        },
    )


def seed_sessions(seed: int, tenants: Iterable[str], now: int) -> list[Session]:
    """Each tenant gets every state twice over: 30 sessions, enough for lists to paginate."""
    rng = random.Random(seed)
    return [
        _session(rng, tenant, now, state)
        for tenant in sorted(set(tenants))
        for _ in range(2)
        for state in STATES
    ]
