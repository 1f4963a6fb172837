"""The shipped OpenAPI 3.1 documents of the sessions APIs, their declaration vocabulary and the
mock's default data (installed as `sessions_spec`)."""

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
OPENAPI_PATH = SPEC_DIR / "openapi.yaml"
ADMIN_PATH = SPEC_DIR / "admin.yaml"
VOCABULARY_PATH = SPEC_DIR / "declaration.schema.yaml"
