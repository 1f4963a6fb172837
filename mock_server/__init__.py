"""Stateful mock server for the sessions API, driven by spec/openapi.yaml."""

import warnings

# connexion imports starlette's TestClient at import time, which warns about httpx on every start.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")

from .app import Mock, MockConfig, build, create_app  # noqa: E402

__all__ = ["Mock", "MockConfig", "build", "create_app"]
