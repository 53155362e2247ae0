"""The API's one error shape: every 4xx is `{"detail": ..., "field": ...}`, the message and the
field at fault, and never the input. A 10 MB title must not come back as a 10 MB error, and a
string Python holds but cannot encode (a lone surrogate) must not turn a refusal into a 500."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

# Where a validation error's location starts: not a field, so not named as one.
_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_MESSAGE_LIMIT = 300


class Refusal(BaseModel):
    """Why a request was refused: in words, with the field at fault where there is one."""

    detail: str = Field(description="What is wrong and, where it helps, what to send instead")
    field: str | None = Field(
        default=None, description="The field at fault, dotted for nested ones (kpis.0.name)"
    )


def _field(location: Sequence[Any], kind: str) -> str | None:
    """The dotted field of a validation error. An unknown key's own name is input, so for one
    the field is where it was sent, not the key; a JSON syntax error has no field."""
    if kind == "json_invalid":
        return None
    parts = list(location[1:]) if location and location[0] in _LOCATIONS else list(location)
    if kind == "extra_forbidden":
        parts = parts[:-1]
    return ".".join(str(part) for part in parts) or None


def _message(error: Mapping[str, Any], accepted: Sequence[str]) -> str:
    """Pydantic's message, which states the rule and not the value, made plain."""
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        # The unknown name is not repeated; the names this request takes are listed instead.
        takes = f"; it takes {', '.join(accepted)}" if accepted else ""
        return "a field was sent that this request does not take" + takes
    if kind == "json_invalid":
        return "the body is not valid JSON"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return message[:_MESSAGE_LIMIT]


def first_refusal(errors: Iterable[Mapping[str, Any]], body_fields: Sequence[str] = ()) -> Refusal:
    """The first validation error as a refusal; the rest follow once it is fixed, as with a
    domain refusal. `body_fields` are the top-level fields the body may hold."""
    for error in errors:
        location = tuple(error.get("loc", ()))
        field = _field(location, str(error.get("type", "")))
        message = _message(error, body_fields if len(location) == 2 else ())
        return Refusal(detail=f"{field}: {message}" if field else message, field=field)
    return Refusal(detail="the request is not valid")


def body_fields(request: Request) -> list[str]:
    """The fields the matched operation's body model declares, if it has one."""
    body_field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(body_field, "field_info", None), "annotation", None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def refusal_response(
    status_code: int, refusal: Refusal, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A refusal as the API sends it: `field` only when there is one."""
    return JSONResponse(
        refusal.model_dump(exclude_none=True), status_code=status_code, headers=headers
    )


def validation_refusal(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 for a request FastAPI could not validate."""
    return refusal_response(422, first_refusal(exc.errors(), body_fields(request)))


def http_refusal(exc: HTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, wrong method, a body it cannot parse) in the
    same shape; their texts are fixed, never the input."""
    return refusal_response(exc.status_code, Refusal(detail=str(exc.detail)), exc.headers)


WHY = {
    400: "The body could not be read: not UTF-8 JSON, or a broken form",
    401: "No valid token: send 'Authorization: Bearer <token>'",
    403: "Your roles, or your own part in this case, do not allow this",
    404: "No such case, or one you may not read (the two are answered alike), or nothing of "
    "that id on it",
    409: "The case is not at a point where this can be done, or another change came first",
    413: "The body, or the file, is over its limit",
    415: "The file is not of a type the repository keeps, or its content is not that type",
    422: "A field is missing or not valid",
}


def answers(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """The refusals an operation can give, for its OpenAPI `responses`."""
    return {code: {"model": Refusal, "description": WHY[code]} for code in status_codes}


# The usual sets. Every operation with parameters can answer 422; every one with a token, 401.
SIGNED_IN = (401, 422)
ABOUT_A_CASE = (401, 404, 422)
# A change to a case: also the wrong person (403), the wrong moment (409), too large a body.
CHANGE_TO_A_CASE = (401, 403, 404, 409, 413, 422)
# ... and one with a body, which may not be readable at all.
CHANGE_WITH_BODY = (400, *CHANGE_TO_A_CASE)
