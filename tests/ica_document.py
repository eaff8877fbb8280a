"""ICA's OpenAPI document for the operations Portal implements, rebuilt from the installed libica
package rather than copied by hand: paths, methods and parameters from `libica.openapi.v2`'s
endpoint tables, success codes from `libica.openapi.v3`'s operations, and every shape from v3's
pydantic models (their JSON Schema, OpenAPI 3.1's dialect). Errors are ICA's Problem model."""

import importlib
import inspect
import pkgutil
import re

from libica.openapi.v2 import apis as v2_apis
from libica.openapi.v2.api_client import Endpoint
from libica.openapi.v3 import api as v3_api
from libica.openapi.v3 import models as v3_models

# ICA's operations Portal implements (ica/urls.py), by ICA's operation ids
IMPLEMENTED = {
    "create_jwt_token",
    "refresh_jwt_token",
    "get_users",
    "get_user",
    "update_user",
    "assign_tenant_admin_rights_to_user",
    "revoke_tenant_admin_rights_to_user",
    "approve_user",
    "get_workgroups",
    "get_workgroup",
    "get_event_logs",
    "search_event_logs",
    "get_system_info",
}
REF = "#/components/schemas/{model}"
SCHEMES = {  # ICA's, as libica's Configuration.auth_settings sends them (not its psToken)
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "JwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "BasicAuth": {"type": "http", "scheme": "basic"},
}
_TYPES = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
}


def endpoints() -> dict[str, Endpoint]:
    """Every operation of ICA's API by its operation id, as libica's v2 module declares it."""
    found = {}
    for name in dir(v2_apis):
        api_class = getattr(v2_apis, name)
        if inspect.isclass(api_class) and name.endswith("Api"):
            for endpoint in vars(api_class()).values():
                if isinstance(endpoint, Endpoint):
                    found[endpoint.settings["operation_id"]] = endpoint
    return found


def success_codes() -> dict[str, tuple[str, str | None]]:
    """operation id → (status, model name or None), from v3's `_response_types_map`s."""
    codes = {}
    for module in pkgutil.iter_modules(v3_api.__path__):
        source = inspect.getsource(importlib.import_module(f"{v3_api.__name__}.{module.name}"))
        for op, body in re.findall(r"\n    def (\w+)\(\n(.*?)\n    def ", source, re.S):
            if match := re.search(r"'(2\d\d)': (?:\"(\w+)\"|None)", body):
                codes.setdefault(op, (match.group(1), match.group(2)))
    return codes


def document(operation_ids: set[str]) -> dict:
    table, codes, models = endpoints(), success_codes(), {"Problem"}
    paths: dict = {}
    for op in sorted(operation_ids):
        endpoint = table[op]
        status, model = codes[op]
        operation, body_model = _operation(endpoint, op)
        models |= {name for name in (model, body_model) if name}
        media = [m for m in endpoint.headers_map["accept"] if "problem" not in m]  # v3's, or v4's
        content = {media[0]: {"schema": {"$ref": REF.format(model=model)}}} if model else {}
        operation["responses"] = {
            status: {"description": "ICA's answer", **({"content": content} if model else {})},
            "default": {
                "description": "ICA's problem",
                "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
            },
        }
        paths.setdefault(endpoint.settings["endpoint_path"], {})[endpoint.settings["http_method"].lower()] = (
            operation
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "ICA identity operations (from libica)", "version": "3"},
        "paths": paths,
        "components": {
            "schemas": _schemas(models),
            "securitySchemes": SCHEMES,
        },
    }


def _operation(endpoint: Endpoint, op: str) -> tuple[dict, str | None]:
    params, body_model = [], None
    required = set(endpoint.params_map["required"])
    for name, where in endpoint.location_map.items():
        kind = endpoint.openapi_types[name][0]
        if where == "body":
            body_model = kind.__name__
            continue
        schema = dict(_TYPES.get(kind, {"type": "string"}))
        if values := endpoint.allowed_values.get((name,)):
            schema["enum"] = list(values.values())
        wire = endpoint.attribute_map[name]
        if where == "header" and wire.lower() in ("if-match",):
            continue  # an optimistic-lock header Portal does not ask for
        params.append(
            {"name": wire, "in": where, "required": name in required or where == "path", "schema": schema}
        )
    security = [{name: []} for name in endpoint.settings["auth"] if name in SCHEMES]
    operation = {"operationId": op, "parameters": params, "security": security}
    if body_model:
        media = endpoint.headers_map["content_type"][0]
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"$ref": REF.format(model=body_model)}}},
        }
    return operation, body_model


def _schemas(names: set[str]) -> dict:
    """v3's models as JSON Schema, each with the models it refers to."""
    schemas: dict = {}
    for name in names:
        full = getattr(v3_models, name).model_json_schema(by_alias=True, ref_template=REF)
        schemas |= full.pop("$defs", {})
        schemas[name] = full
    return schemas


def operation_table() -> list[tuple[str, str]]:
    """(method, path) of every operation in ICA's API, sorted: what `ica/operations.py` holds."""
    return sorted({(e.settings["http_method"], e.settings["endpoint_path"]) for e in endpoints().values()})


if __name__ == "__main__":  # .venv/bin/python -m tests.ica_document > ica/operations.py
    print('"""Every operation of ICA\'s API (method, path), as libica 3.3 declares them: the paths Portal')
    print("answers 501 rather than 404 for. Generated by `python -m tests.ica_document`; a test keeps it")
    print('equal to the installed libica\'s."""')
    print()
    print("OPERATIONS = (")
    for method, path in operation_table():
        print(f'    ("{method}", "{path}"),')
    print(")")
