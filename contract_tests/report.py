"""How a run reads: every failure as a broken rule (the rule, the exchanges, a curl line), an
unreachable target or a stopped run, never a bare traceback; and, at the end, why a run stopped
early and how many cases were generated per operation."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.client import recent_exchanges
from contract_tests.rules import ContractViolation, rule_of_test
from contract_tests.transport import DeadlineReached, RunStopped, TargetUnreachable


def find(exc: BaseException | None, kind: type) -> BaseException | None:
    """`exc`, or the exception of `kind` it groups or was caused by."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                found = find(inner, kind)
                if found is not None:
                    return found
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def where(item: pytest.Item, call: pytest.CallInfo) -> str:
    for entry in reversed(call.excinfo.traceback):
        if str(entry.path).startswith(str(item.path.parent)) and entry.path.name.startswith("test_"):
            return f"\n  at {entry.path.name}:{entry.lineno + 1}"
    return ""


def rewrite_failure(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """Give a failed report the reading a user of the suite needs."""
    error = call.excinfo.value
    stopped = find(error, RunStopped)
    if stopped is not None:
        item.session.shouldstop = f"contract run stopped: {stopped}"
        report.user_properties.append(("run_stopped", str(stopped)))
        if isinstance(stopped, DeadlineReached):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"not finished: {stopped}")
        else:
            report.longrepr = f"contract run stopped: {stopped}"
        return
    violation = find(error, ContractViolation)
    if violation is not None:
        report.longrepr = violation.render() + where(item, call)
        return
    unreachable = find(error, TargetUnreachable)
    if unreachable is not None:
        report.longrepr = f"contract target unreachable: {unreachable}"
        return
    if isinstance(error, Exception) and not isinstance(error, AssertionError):
        rule = rule_of_test(getattr(item, "originalname", item.name))
        if rule is not None:
            shown = "\n".join(exchange.render() for exchange in recent_exchanges())
            report.longrepr = (f"contract rule `{rule}`: the target's answers could not be checked "
                               f"({type(error).__name__}: {str(error)[:300]})" + where(item, call)
                               + (f"\n--- the last exchanges ---\n{shown}" if shown else ""))


def stop_reasons(terminalreporter: Any) -> list[str]:
    return [value for reports in terminalreporter.stats.values() for report in reports
            for name, value in getattr(report, "user_properties", []) or [] if name == "run_stopped"]


def summarize_stop(terminalreporter: Any) -> None:
    """When the run stopped early: why, and what ran."""
    reasons = stop_reasons(terminalreporter)
    if not reasons:
        return
    counts = {key: len([r for r in terminalreporter.stats.get(key, []) if r.when == "call" or key == "skipped"])
              for key in ("passed", "failed", "skipped")}
    collected = terminalreporter._numcollected  # 0 in a pytest-xdist controller, which does not collect
    not_run = f"{max(0, collected - sum(counts.values()))} not run, of {collected} collected" if collected \
        else "the rest not run"
    terminalreporter.section("contract run stopped early")
    terminalreporter.write_line(f"why: {reasons[0]}")
    terminalreporter.write_line(f"ran: {counts['passed']} passed, {counts['failed']} failed, "
                                f"{counts['skipped']} skipped; {not_run}")


def summarize_cases(terminalreporter: Any) -> None:
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", []) or []:
                if name == "generated_cases" and getattr(report, "when", "") == "call":
                    value = dict(value)
                    rows.append((value.pop("operation", report.nodeid), value))
    if not rows:
        return
    terminalreporter.section("generated cases per test")
    for nodeid, counts in sorted(rows, key=lambda row: row[0]):
        total = sum(counts.values())
        detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"{nodeid}: {total} ({detail})")
