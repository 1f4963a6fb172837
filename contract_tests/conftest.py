"""Load the contract plugin when running from a checkout where its entry point is not installed.

Once the kit is installed, the `contract_tests` pytest11 entry point registers the plugin; loading
it a second time here would register the same module twice, so only load it when that entry point
is absent (or when plugin autoloading is switched off).
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points


def _loaded_by_entry_point() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.value.split(":")[0] == "contract_tests.plugin" for ep in entry_points(group="pytest11"))


if not _loaded_by_entry_point():
    pytest_plugins = ["contract_tests.plugin"]
