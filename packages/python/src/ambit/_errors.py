"""The exceptions the SDK raises: one class per status family, carrying the RFC 7807 fields."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Type, Union


class AmbitError(Exception):
    """Root of every error the SDK raises."""


class APIError(AmbitError):
    """The API answered with a non-2xx status.

    The RFC 7807 problem fields are attributes: ``status``, ``code`` (the ``error_code``),
    ``title``, ``detail``, ``type``, ``instance``, ``retryable``, ``trace_id`` and ``errors``
    (every invalid field of an ``invalid_request``). ``body`` is the whole parsed body.
    """

    status: int
    headers: Dict[str, str]
    body: Union[Dict[str, Any], str, None]
    code: Optional[str]
    title: Optional[str]
    detail: Optional[str]
    type: Optional[str]
    instance: Optional[str]
    retryable: Optional[bool]
    trace_id: Optional[str]
    errors: List[Dict[str, str]]

    def __init__(self, status: int, body: Union[Dict[str, Any], str, None], headers: Mapping[str, str]) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        p: Dict[str, Any] = body if isinstance(body, dict) else {}
        self.code = _str(p.get("error_code"))
        self.title = _str(p.get("title"))
        self.detail = _str(p.get("detail"))
        self.type = _str(p.get("type"))
        self.instance = _str(p.get("instance"))
        retryable = p.get("retryable")
        self.retryable = retryable if isinstance(retryable, bool) else None
        self.trace_id = _str(p.get("trace_id")) or self.headers.get("x-request-id")
        errors: Any = p.get("errors")
        self.errors = [
            {"path": str(e.get("path", "")), "message": str(e.get("message", ""))}  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            for e in (errors if isinstance(errors, list) else [])  # pyright: ignore[reportUnknownVariableType]
            if isinstance(e, dict)
        ]
        super().__init__(self._message())

    @property
    def error_code(self) -> Optional[str]:
        """Alias of ``code`` (the problem's ``error_code``, as the TypeScript SDK names it)."""
        return self.code

    def _message(self) -> str:
        if isinstance(self.body, dict):
            fields = "; ".join(f"{e['path']}: {e['message']}" for e in self.errors)
            text = self.detail or self.title or json.dumps(self.body)
            return f"{self.status} {self.code or 'error'}: {text}" + (f" [{fields}]" if fields else "")
        return f"{self.status} {self.body[:500] if self.body else '(no body)'}"


class BadRequestError(APIError):
    """400"""


class AuthenticationError(APIError):
    """401"""


class PermissionDeniedError(APIError):
    """403"""


class NotFoundError(APIError):
    """404"""


class ConflictError(APIError):
    """409"""


class PayloadTooLargeError(APIError):
    """413"""


class UnprocessableEntityError(APIError):
    """422"""


class RateLimitError(APIError):
    """429; ``retry_after`` holds the seconds the server asked to wait, if it said."""

    @property
    def retry_after(self) -> Optional[float]:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class InternalServerError(APIError):
    """5xx"""


_STATUS_CLASSES: Dict[int, Type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def make_status_error(status: int, body: Union[Dict[str, Any], str, None], headers: Mapping[str, str]) -> APIError:
    """The error class for a status."""
    cls = _STATUS_CLASSES.get(status) or (InternalServerError if status >= 500 else APIError)
    return cls(status, body, headers)


class APIConnectionError(AmbitError):
    """The request never got an answer (refused, reset, DNS…); ``__cause__`` holds the transport error."""


class APITimeoutError(APIConnectionError):
    """No answer within the request's ``timeout``."""


class RunWaitTimeoutError(AmbitError, TimeoutError):
    """``runs.wait`` gave up before the run ended; ``run`` is the last state seen."""

    def __init__(self, message: str, run: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.run = run


class StreamDisconnected(AmbitError):
    """The live connection of a run stream went away (the stream reconnects by itself)."""


def _str(v: object) -> Optional[str]:
    return v if isinstance(v, str) else None
