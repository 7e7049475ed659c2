"""The API's one error shape, `{"error": {"code", "message", "field"?}}`, for every failure.

Views raise `ApiError`; the handlers here turn it, any HTTP exception raised under the API
(bad JSON, too large, rate limited) and routing errors under /api/v1 (unknown path, wrong method)
into that JSON, so an API client never gets an HTML page.
"""

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db

PREFIX = "/api/v1"

#: error code for HTTP errors that no view chose a code for
HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}
MESSAGES = {
    404: "There is nothing at this address.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    429: "Too many requests; slow down and retry later.",
}


class ApiError(Exception):
    """A client error with its HTTP status, a stable machine code and a human message (a lazy
    translation from a service or plain English); `field` names the offending input."""

    def __init__(self, status: int, code: str, message, field: str | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.field = status, code, message, field


def not_found(what: str = "object") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def error_response(
    status: int, code: str, message, field: str | None = None, headers=None
) -> Response:
    error = {"code": code, "message": str(message)}
    if field:
        error["field"] = field
    response = jsonify(error=error)
    response.status_code = status
    for name, value in headers or ():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            response.headers[name] = value
    return response


def _from_api_error(exc: ApiError) -> Response:
    db.session.rollback()
    headers = [("WWW-Authenticate", 'Bearer realm="saldo"')] if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, exc.field, headers)


def _from_http(exc: HTTPException) -> Response:
    db.session.rollback()
    status = exc.code or 500
    if status >= 500:
        return _server_error(exc)
    message = MESSAGES.get(status) or exc.description or exc.name
    headers = exc.get_headers() if status in (405, 429) else None
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers=headers)


def _server_error(exc: Exception) -> Response:
    db.session.rollback()
    return error_response(500, "server_error", InternalServerError.description)


def _routing_error():
    """Unknown paths and wrong methods under the API prefix answer in JSON too (Flask looks
    up no blueprint handler for them, as they match no view)."""
    exc = request.routing_exception
    if not isinstance(exc, HTTPException) or (exc.code or 0) < 400:
        return None
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return _from_http(exc)
    return None


def register(bp: Blueprint) -> None:
    bp.register_error_handler(ApiError, _from_api_error)
    bp.register_error_handler(HTTPException, _from_http)
    # by code as well: the app's own handlers for these codes would otherwise come first
    for status in HTTP_CODES:
        bp.register_error_handler(status, _from_http)
    bp.register_error_handler(InternalServerError, _server_error)
    bp.before_app_request(_routing_error)
