"""Reading the YAML files of the kit and its users (specs, tokens, fixtures, seeds), with one-line errors.

A `.json` file is read as JSON (a subset of YAML, parsed a hundred times faster); YAML is read
with libyaml's loader where PyYAML was built with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FileError(Exception):
    """A user-supplied file cannot be read or parsed; the message is one line."""


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed content of `path` (YAML, so JSON too); `what` names the file in errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FileError(f"cannot read {what} {path}: {reason}") from exc
    if Path(path).suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FileError(f"{what} {path} is not valid JSON: {exc}") from exc
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise FileError(f"{what} {path} is not valid YAML: {problem}{where}") from exc
