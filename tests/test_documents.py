"""The 3.1 documents as written, and the interactive docs page."""

from __future__ import annotations

import yaml

from api_model import DEFAULT_SPEC


def test_the_31_product_document_is_served_as_written(client):
    for path in ("/openapi.yaml", "/_mock/openapi.yaml"):
        response = client.get(path)
        assert response.status_code == 200 and response.content == DEFAULT_SPEC.read_bytes()
        assert yaml.safe_load(response.content)["openapi"].startswith("3.1")


def test_the_admin_document_is_served_next_to_the_product_one(client):
    response = client.get("/_mock/admin.yaml")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert "/_mock/v3/organizations/{org_id}/sessions/{devin_id}" in document["paths"]
    assert document["components"]["schemas"]["FixtureSession"]["properties"]["status"] == {
        "$ref": "openapi.yaml#/components/schemas/SessionResponse/properties/status"}


def test_the_docs_page_and_its_document_work(client):
    page = client.get("/docs/")
    assert page.status_code == 200 and "swagger-ui" in page.text.lower()
    document = client.get("/openapi.json").json()
    assert "/v3/organizations/{org_id}/sessions/{devin_id}/archive" in document["paths"]


def test_the_served_admin_document_is_a_valid_31_document(client, tmp_path):
    from openapi_spec_validator import validate

    (tmp_path / "openapi.yaml").write_bytes(client.get("/_mock/openapi.yaml").content)
    (tmp_path / "admin.yaml").write_bytes(client.get("/_mock/admin.yaml").content)
    validate(yaml.safe_load((tmp_path / "admin.yaml").read_text()), base_uri=(tmp_path / "admin.yaml").as_uri())
