"""Every 4xx of the API has one shape, `{"detail", "field"}`, and never carries the input back;
the OpenAPI document declares it, and every content type an operation answers with."""

from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app

LONG_TITLE = "procurement " * 80_000  # 960 KB: under the JSON limit, far over the field's


def refused(response: Any, status: int, field: str | None) -> dict[str, Any]:
    """The body of a refusal in the API's shape, checked."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"detail", "field"} and isinstance(body["detail"], str), body
    assert body.get("field") == field, body
    return body


def test_a_huge_title_is_refused_in_a_few_words(client: TestClient, make_user: Any, helpers: Any):
    _, token = make_user("requester")
    body = helpers.purchase_request(title=LONG_TITLE)
    response = client.post("/cases", json=body, headers=helpers.auth(token))
    refused(response, 422, "title")
    assert len(response.content) < 300 and "procurement procurement" not in response.text


def test_a_lone_surrogate_is_a_refusal_not_a_server_error(
    client: TestClient, make_user: Any, helpers: Any
):
    _, token = make_user("requester")
    # A JSON escape Python decodes into a string no UTF-8 encoder accepts.
    raw = '{"title": "Highways \\ud800 maintenance"}'
    response = client.post(
        "/cases",
        content=raw,
        headers={**helpers.auth(token), "content-type": "application/json"},
    )
    assert refused(response, 422, "title")["detail"].startswith("title: Input should be")


def test_an_unknown_field_is_named_by_where_it_was_sent_not_by_its_name(
    client: TestClient, make_user: Any, helpers: Any
):
    _, token = make_user("requester")
    body = {**helpers.purchase_request(), "<script>alert(1)</script>": "x"}
    response = client.post("/cases", json=body, headers=helpers.auth(token))
    detail = refused(response, 422, None)["detail"]
    assert "<script>" not in detail and "alert" not in detail
    assert detail.endswith(
        "it takes title, description, category, light_touch, department, "
        "estimated_value_pence, irrecoverable_vat_pence, needed_by, "
        "contract_required"
    )


def test_a_body_that_is_not_json_and_an_id_that_is_not_a_number(
    client: TestClient, make_user: Any, helpers: Any
):
    _, token = make_user("requester")
    headers = {**helpers.auth(token), "content-type": "application/json"}
    not_json = client.post("/cases", content='{"title": "unterminated', headers=headers)
    assert refused(not_json, 422, None)["detail"] == "the body is not valid JSON"
    not_a_number = client.get("/cases/twelve-thousand", headers=helpers.auth(token))
    assert "twelve" not in refused(not_a_number, 422, "case_id")["detail"]


def test_an_id_filter_is_bounded_before_the_database(
    client: TestClient, make_user: Any, helpers: Any
):
    _, token = make_user("admin")
    response = client.get(f"/outbox/mail?case_id={2**31}", headers=helpers.auth(token))
    refused(response, 422, "case_id")


def test_starlettes_own_refusals_have_the_same_shape(client: TestClient):
    refused(client.get("/no-such-thing"), 404, None)
    refused(client.delete("/register"), 405, None)


def test_the_openapi_document_declares_the_shape_and_every_content_type():
    document = create_app().openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Refusal" in schemas
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    content = answer["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Refusal"}, (method, path)
            has_parameters = operation.get("parameters") or operation.get("requestBody")
            if has_parameters:
                assert "422" in operation["responses"], (method, path)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
    csv = document["paths"]["/register.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]
    download = document["paths"]["/cases/{case_id}/documents/{document_id}"]["get"]
    assert "application/pdf" in download["responses"]["200"]["content"]
    assert "application/json" not in download["responses"]["200"]["content"]
