"""Contract tests for the sessions APIs: point them at any implementation with `--base-url`.

`pytest contract_tests` (from a checkout) or `pytest --pyargs contract_tests --base-url URL --token T --org O`.
The suite checks whichever API its spec (`--spec`) describes, reading the behaviour from the
spec's `x-kit` declaration. Its public surface, for tools built on it:

- `Contract`: the contract as read from a spec (operations, roles, representation, errors);
- `RULES`: each rule's name and statement, citing docs/contract.md;
- `ContractViolation`: what a broken rule raises (`.rule`, `.message`, `.exchanges`);
- `Api`, `Exchange`: the client the tests use, and one recorded request and answer.
"""

from contract_tests.client import Api, Exchange
from contract_tests.contract import Contract
from contract_tests.rules import RULES, ContractViolation

__all__ = ["RULES", "Api", "Contract", "ContractViolation", "Exchange"]
