"""The kit's documentation, installed with it: the contract the suite's rules cite, and the
vocabulary of the behaviour declaration."""

from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
CONTRACT = DOCS_DIR / "contract.md"  # the rules' citations (`docs/contract.md#<section>`) resolve here
DECLARATION = DOCS_DIR / "declaration.md"
