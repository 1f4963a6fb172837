"""The shipped OpenAPI 3.1 document of the sessions API (installed as `sessions_spec`)."""

from pathlib import Path

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
