"""Load the contract plugin when its pytest11 entry point did not (a checkout without the kit installed).

pytest loads entry-point plugins before any conftest, so if the `contract_tests` entry point is
installed, `contract_tests.plugin` is already imported here; naming it again in `pytest_plugins`
would register the same module twice under two names.
"""

from __future__ import annotations

import sys

if "contract_tests.plugin" not in sys.modules:
    pytest_plugins = ["contract_tests.plugin"]
