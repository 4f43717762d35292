"""The OpenAPI document: valid, and describing what the endpoints really accept."""

from __future__ import annotations

from openapi_spec_validator import validate

from app import create_app
from app.extensions import db

WRITES = [("/api/v1/events", "post"), ("/api/v1/events/{event_id}", "patch"),
          ("/api/v1/events/{event_id}/status", "post"),
          ("/api/v1/events/{event_id}/cancel", "post")]
READS = [("/api/v1/events", "get"), ("/api/v1/events/{event_id}", "get")]


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def test_spec_validates(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.0")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer"}


def test_all_event_operations_are_documented(spec):
    assert {(path, method) for path, method, _ in operations(spec)} >= set(WRITES + READS)


def test_security_per_operation(spec):
    for path, method in WRITES:
        assert spec["paths"][path][method]["security"] == [{"bearerAuth": []}]
        responses = spec["paths"][path][method]["responses"]
        assert {"401", "403", "422"} <= set(responses), (path, method)
    for path, method in READS:
        assert spec["paths"][path][method]["security"] == [{}, {"bearerAuth": []}]


def test_every_error_response_uses_the_error_schema(spec):
    components = spec["components"]
    error = components["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = components["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"code", "message"}
    assert body["properties"]["fields"]["additionalProperties"]["type"] == "array"
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            name = response["$ref"].rsplit("/", 1)[-1]
            schema = components["responses"][name]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (path, method, status)


def test_request_schemas_are_the_validating_ones(spec):
    schemas = spec["components"]["schemas"]
    create = schemas["EventCreate"]
    assert set(create["required"]) == {"title", "type", "audiences", "industries"}
    assert create["additionalProperties"] is False
    assert create["properties"]["title"]["maxLength"] == 200
    assert create["properties"]["description"]["maxLength"] == 5000
    assert create["properties"]["status"]["enum"] == ["draft", "planned", "published"]
    assert "Europe/Berlin" in create["properties"]["start"]["description"]
    patch = schemas["EventPatch"]
    assert "required" not in patch and "status" not in patch["properties"]
    assert schemas["StatusInput"]["properties"]["status"]["enum"] == [
        "draft", "planned", "published", "cancelled"]
    body = spec["paths"]["/api/v1/events/{event_id}"]["patch"]
    assert body["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventPatch"}


def test_list_parameters(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert set(parameters) == {"district", "industry", "audience", "type", "occupation",
                               "grade", "from", "to", "page", "per_page"}
    assert parameters["district"]["schema"]["type"] == "array"
    assert parameters["district"]["schema"]["items"]["enum"] == ["HSK", "OE", "SI", "SO", "MK"]
    assert parameters["per_page"]["schema"]["maximum"] == 200


def test_event_schema_lists_every_field(spec):
    event = spec["components"]["schemas"]["Event"]
    assert set(event["required"]) == {
        "id", "uid", "title", "description", "type", "status", "all_day", "start", "end",
        "first_day", "last_day", "audiences", "industries", "venue", "organisation",
        "contact", "url", "admission_free", "sequence", "cancellation_reason", "created_at",
        "updated_at", "links"}
    assert event["additionalProperties"] is False


def test_each_app_has_its_own_complete_spec(app, test_config, spec):
    other = create_app(test_config)
    other_spec = other.test_client().get("/api/v1/openapi.json").get_json()
    with other.app_context():
        db.engine.dispose()
    assert other_spec == spec


def test_references_by_id_and_name_share_one_component(spec):
    """Organisation, company, booth category and occupation references have one shape,
    so the document has one component for them (``Ref``), not one copy per area."""
    schemas = spec["components"]["schemas"]
    assert schemas["Ref"]["required"] == ["id", "name"]
    assert set(schemas["Ref"]["properties"]) == {"id", "name"}
    assert not {"OrganisationRef", "OccupationRef"} & set(schemas)
    ref = {"$ref": "#/components/schemas/Ref"}
    assert schemas["Event"]["properties"]["organisation"] == ref
    booking = schemas["Booking"]["properties"]
    assert booking["category"] == booking["company"] == ref
    assert booking["occupations"]["items"] == ref
    assert schemas["Company"]["properties"]["occupations"]["items"] == ref
