"""OpenAPI post-processing: every operation's error answers, documented once for all.

Views declare what they return on success. The errors follow from what an operation has — a
credential, a path id, a body, query parameters, a change to make — and every one of them is an
RFC 7807 problem (`core.errors.exception_handler`), so they are added here by those rules
rather than repeated on every view. Errors a view declares itself keep their description.
"""

from drf_spectacular import openapi
from rest_framework import serializers

from core.errors import PROBLEM_CONTENT_TYPE

PROBLEM = {
    "type": "object",
    "description": "RFC 7807 problem details; `code` is stable, `errors` names invalid fields.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["type", "title", "status"],
}
WHY = {
    "400": "Invalid input: `errors` names each field (body or query parameter) and what is wrong",
    "401": "No credentials, or credentials that are not (or no longer) valid",
    "403": "Authenticated, but not allowed to do this here",
    "404": "No such thing in this tenant (another tenant's ids answer the same)",
    "409": "Conflicts with the current state, e.g. a name taken or a key already revoked",
    "413": "The body is larger than the API accepts",
    "415": "The body is not in a media type this operation accepts",
    "429": "Too many requests; `Retry-After` says when to try again",  # declared by throttled views
}
WRITES = {"post", "put", "patch", "delete"}


def portal_api_only(endpoints):
    """Preprocessing hook: Portal's own API, under /api/ (a dialect such as ICA's at /ica/rest/
    follows another's document, not this one)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


def document_problems(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: error responses by rule, each a Problem."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in WRITES | {"get"}:
                _add_problems(path, method, operation)
            if "requestBody" in operation and _needs_a_body(operation["requestBody"], result["components"]):
                operation["requestBody"]["required"] = True
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (
                    parameter["in"] == "query"
                    and schema.get("type") == "string"
                    and not schema.keys()
                    & {
                        "enum",
                        "pattern",
                        "format",
                    }
                ):
                    schema["pattern"] = "^[^\x00]*$"  # core.middleware refuses NUL in a query string
    return result


def link_created_resources(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: OpenAPI links from each create to what it created.

    `POST /api/licenses` answers 201 with the new license's `id`; every operation under
    `/api/licenses/{license_id}` takes it as `license_id`, and the parent's own ids come from the
    request's path. Clients and stateful fuzzers (schemathesis) follow these links.
    """
    paths, schemas = result.get("paths", {}), result.get("components", {}).get("schemas", {})
    for collection, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        id_pointer = _id_pointer(_properties(created or {}, schemas), schemas)
        if id_pointer is None:
            continue
        links = created.setdefault("links", {})
        for path, target_operations in paths.items():
            rest = path.removeprefix(collection + "/")
            if rest == path or not rest.startswith("{"):
                continue
            new_id = rest[1 : rest.index("}")]
            parameters = {name: f"$request.path.{name}" for name in _path_names(collection)}
            parameters[new_id] = f"$response.body#{id_pointer}"
            if set(_path_names(path)) - set(parameters):
                continue  # needs an id this create does not give, e.g. a file of the new license
            for method, target in target_operations.items():
                if method in WRITES | {"get"}:
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": parameters,
                    }
    return result


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _id_pointer(properties: dict, schemas: dict) -> str | None:
    """Where the new thing's id is in a 201 body: `/id`, or `/user/id` in `{"status", "user"}`."""
    if "id" in properties:
        return "/id"
    for name, schema in properties.items():
        if "id" in _properties({"content": {"application/json": {"schema": schema}}}, schemas):
            return f"/{name}/id"
    return None


def _properties(response: dict, schemas: dict) -> dict:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema.get("properties", {})


def _needs_a_body(request_body: dict, components: dict) -> bool:
    """Whether every body this operation accepts has something in it that must be there."""
    for media in request_body.get("content", {}).values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = components.get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[1], {})
        if not any(schema.get(rule) for rule in ("required", "anyOf", "oneOf", "pattern")):
            return False
    return True


def _add_problems(path: str, method: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    for status in _problem_statuses(path, method, operation):
        responses.setdefault(status, {"description": WHY[status]})
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _problem_statuses(path: str, method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    secured = any(requirement for requirement in operation.get("security", []))
    statuses = ["401", "403"] if secured else []
    if "{" in path or any(p["name"] == "page" for p in parameters):
        statuses.append("404")  # an id that is not (this tenant's), or a page past the last
    if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
        statuses.append("400")
    if "requestBody" in operation:
        statuses += ["413", "415"]
    if method in WRITES and secured:
        statuses.append("409")
    return statuses


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, naming a GET that answers a page (`core.api.page_of`) `…_list`, and
    saying what DRF's text fields refuse: NUL characters, and white space alone where blank is
    not allowed (DRF strips it first)."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(field, serializers.CharField) or "pattern" in schema:
            return schema
        # DRF refuses NUL in any text; a field that may not be blank needs more than white space.
        # One that may be blank gets drf-spectacular's `oneOf: [this, {maxLength: 0}]`, so this
        # must not match "" too (it would match both, which oneOf refuses).
        if field.trim_whitespace and not field.allow_blank:
            schema["pattern"] = "^[^\x00]*[^\\s\x00][^\x00]*$"
        else:
            schema["pattern"] = "^[^\x00]+$" if field.allow_blank else "^[^\x00]*$"
        return schema

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id().replace("_:", "_")  # /apikeys/{id}:regenerate
        if self.method == "GET" and getattr(self.get_response_serializers(), "is_page", False):
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id
