"""The shipped OpenAPI 3.1 documents of the sessions APIs, their declaration vocabulary and the
mock's default data (installed as `sessions_spec`)."""

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
OPENAPI_PATH = SPEC_DIR / "openapi.yaml"
WORKSPACE_PATH = SPEC_DIR / "workspace.yaml"
ADMIN_PATH = SPEC_DIR / "admin.yaml"
VOCABULARY_PATH = SPEC_DIR / "declaration.schema.yaml"

# The shipped APIs by name (`session-mock --api NAME`, `pytest contract_tests --api NAME`).
APIS = {"v3": OPENAPI_PATH, "workspace": WORKSPACE_PATH}
