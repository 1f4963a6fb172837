"""Reading the YAML files a user hands the mock (spec, tokens, fixtures), with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class FileError(Exception):
    """A user-supplied file cannot be read or parsed; the message is one line."""


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed content of `path` (YAML, so JSON too); `what` names the file in errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FileError(f"cannot read {what} {path}: {reason}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise FileError(f"{what} {path} is not valid YAML: {problem}{where}") from exc
