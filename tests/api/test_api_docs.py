"""The interactive docs work without the internet: Swagger UI comes from the installed
package, and the OpenAPI document lists the lifecycle's endpoints."""

from fastapi.testclient import TestClient


def test_docs_page_uses_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_openapi_lists_the_lifecycle(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/cases",
        "/cases/{case_id}/gates/{gate_id}/decision",
        "/register.csv",
        "/assurance",
        "/cases/{case_id}/documents",
    ):
        assert path in paths
