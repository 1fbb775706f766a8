"""What both clients share: configuration, request building, the retry policy and the error mapping.

The sending itself is a flow (``_flow.py``): ``Ambit`` runs it on blocking sockets, ``AsyncAmbit``
on asyncio.
"""

from __future__ import annotations

import contextvars
import email.utils
import http.client
import json
import os
import random
import time
import uuid
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
    cast,
)
from urllib.parse import quote, urlencode, urlsplit

from ._errors import AmbitError, APIConnectionError, make_status_error
from ._flow import Flow, Prepared, ReadAll, Response, Send, Sleep

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "BaseClient",
    "RawResponse",
    "RequestOptions",
    "api_base_of",
    "path_of",
    "retry_delay",
    "QueryValue",
]

DEFAULT_BASE_URL = "http://localhost:8787"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
USER_AGENT = "ambit-sdk-python/0.1.0"

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_HONOURED_WAIT = 60.0

QueryScalar = Union[str, int, float, bool]
QueryValue = Union[QueryScalar, Sequence[QueryScalar], Mapping[str, str], None]


def api_base_of(base_url: str) -> str:
    """``http://host:8787``, ``http://host:8787/``, ``http://host:8787/api/v1`` →
    ``http://host:8787/api/v1``."""
    trimmed = base_url.rstrip("/")
    return trimmed if trimmed.endswith("/api/v1") else trimmed + "/api/v1"


def path_of(template: str, *segments: str) -> str:
    """``path_of("/agent/runs/{}/cancel", run_id)`` with every segment percent-encoded."""
    return template.format(*(quote(str(s), safe="") for s in segments))


class RawResponse:
    """What the server answered, besides the body: ``status``, ``headers`` (lower-case names),
    ``url``."""

    def __init__(self, status: int, headers: Mapping[str, str], url: str, method: str) -> None:
        self.status = status
        self.headers: Dict[str, str] = dict(headers)
        self.url = url
        self.method = method

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def __repr__(self) -> str:
        return f"RawResponse({self.method} {self.url} -> {self.status})"


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an answer is worth trying again: ``x-should-retry`` wins, else 408, 409, 429 and
    5xx."""
    flag = headers.get("x-should-retry")
    if flag == "true":
        return True
    if flag == "false":
        return False
    return status in (408, 409, 429) or status >= 500


def retry_delay(retry: int, headers: Optional[Mapping[str, str]] = None) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): ``retry-after-ms``,
    ``retry-after``, else backoff with jitter."""
    asked = _server_wait(headers)
    if asked is not None and 0 <= asked <= MAX_HONOURED_WAIT:
        return asked
    base = min(INITIAL_DELAY * 2 ** (retry - 1), MAX_DELAY)
    return base * (1 - random.random() * 0.25)


def _server_wait(headers: Optional[Mapping[str, str]]) -> Optional[float]:
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    after = headers.get("retry-after")
    if not after:
        return None
    try:
        return float(after)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(after)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() - time.time()


_Client = TypeVar("_Client", bound="BaseClient")


class RequestOptions(TypedDict, total=False):
    """What ``client.request`` takes besides the method and path."""

    query: Optional[Mapping[str, QueryValue]]
    body: Optional[Any]
    headers: Optional[Mapping[str, str]]
    timeout: Optional[float]
    max_retries: Optional[int]
    idempotency_key: Optional[str]


class BaseClient:
    """Holds the configuration, builds requests under ``/api/v1`` and defines how they are sent (as
    flows)."""

    api_key: str
    base_url: str
    timeout: float
    max_retries: int
    default_headers: Dict[str, str]

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        _keyless: bool = False,
    ) -> None:
        key = (
            ""
            if _keyless
            else (api_key if api_key is not None else os.environ.get("AMBIT_API_KEY", ""))
        )
        if not key and not _keyless:
            raise AmbitError(
                "no API key: pass Ambit(api_key=...) or set AMBIT_API_KEY "
                "(create one with `ambit api-key create` or POST /api/v1/api-keys)"
            )
        self.api_key = key
        self.base_url = api_base_of(
            base_url or os.environ.get("AMBIT_BASE_URL") or DEFAULT_BASE_URL
        )
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        self.default_headers = dict(default_headers or {})
        # per thread and per asyncio task: each sees the answer to its own last request
        self._last: contextvars.ContextVar[Optional[RawResponse]] = contextvars.ContextVar(
            f"ambit_last_response_{id(self)}", default=None
        )

    @property
    def last_response(self) -> Optional[RawResponse]:
        """The answer to the last request this thread (or asyncio task) made with this client, or
        None."""
        return self._last.get()

    def build_url(self, path: str, query: Optional[Mapping[str, QueryValue]] = None) -> str:
        """The full URL of ``path`` (under ``/api/v1``) with ``query``; lists repeat the key,
        mappings become ``key[k]=v``."""
        pairs: list[Tuple[str, str]] = []
        for key, value in (query or {}).items():
            if value is None:
                continue
            if isinstance(value, Mapping):
                for k, v in value.items():
                    pairs.append((f"{key}[{k}]", v))
            elif isinstance(value, (list, tuple)):
                for v in value:
                    pairs.append((key, _scalar(v)))
            else:
                pairs.append((key, _scalar(value)))  # pyright: ignore[reportArgumentType]
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        return url + ("?" + urlencode(pairs) if pairs else "")

    def prepare(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, QueryValue]] = None,
        body: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Prepared:
        """The request for ``path``: the key, JSON body, and for a POST an ``Idempotency-Key`` its
        retries keep."""
        sent: Dict[str, str] = {"accept": "application/json", "user-agent": USER_AGENT}
        if self.api_key:
            sent["authorization"] = f"Bearer {self.api_key}"
        sent.update({k.lower(): v for k, v in self.default_headers.items()})
        payload: Optional[bytes] = None
        if body is not None:
            sent["content-type"] = "application/json"
            payload = json.dumps(body).encode("utf-8")
        if method.upper() == "POST":
            sent["idempotency-key"] = idempotency_key or f"ambit-sdk-{uuid.uuid4()}"
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        return Prepared(method.upper(), self.build_url(path, query), sent, payload)

    def prepare_url(self, url: str) -> Prepared:
        """A GET of an absolute URL that carries its own credentials (a signed link): the API key
        never leaves for another address."""
        return Prepared("GET", url, {"accept": "*/*", "user-agent": USER_AGENT}, None)

    def send_flow(
        self,
        request: Prepared,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        redirects: bool = False,
    ) -> Flow[Response]:
        """Sends with retries; answers the open 2xx response (body unread), or raises the status's
        error class.

        With ``redirects=True`` a 3xx answer is returned too (unread), for the caller to follow.
        """
        retries = self.max_retries if max_retries is None else max_retries
        seconds = self.effective_timeout(timeout)
        attempt = 0
        while True:
            request.headers["x-ambit-retry-count"] = str(attempt)
            try:
                response: Response = yield Send(request, seconds)
            except APIConnectionError:
                if attempt >= retries:
                    raise
                attempt += 1
                yield Sleep(retry_delay(attempt))
                continue
            self._last.set(
                RawResponse(response.status, response.headers, request.url, request.method)
            )
            if 200 <= response.status < 300 or (redirects and 300 <= response.status < 400):
                return response
            if attempt < retries and should_retry(response.status, response.headers):
                response.close()
                attempt += 1
                yield Sleep(retry_delay(attempt, response.headers))
                continue
            try:
                data: bytes = yield ReadAll(response, seconds)
            except APIConnectionError:
                data = b""
            raise make_status_error(
                response.status, _problem(data.decode("utf-8", "replace")), response.headers
            )

    def request_flow(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Flow[Any]:
        """A request and its parsed answer: JSON, text for other media types, None for an empty
        body."""
        timeout = options.get("timeout")
        request = self.prepare(
            method,
            path,
            query=options.get("query"),
            body=options.get("body"),
            headers=options.get("headers"),
            idempotency_key=options.get("idempotency_key"),
        )
        response = yield from self.send_flow(
            request, timeout=timeout, max_retries=options.get("max_retries")
        )
        data: bytes = yield ReadAll(response, self.effective_timeout(timeout))
        return decode_body(response, data)

    def with_options(
        self: _Client, *, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> _Client:
        """A copy of this client with other defaults."""
        return type(self)(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            default_headers=self.default_headers,
        )

    def effective_timeout(self, timeout: Optional[float]) -> float:
        """Seconds per attempt: the call's ``timeout``, else the client's."""
        return self.timeout if timeout is None else timeout


def decode_body(response: Response, data: bytes) -> Any:
    """JSON for a JSON media type, text for others, None for 204 or nothing."""
    if response.status == 204 or not data:
        return None
    text = data.decode("utf-8")
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return json.loads(text)
    return text


def _problem(text: str) -> Union[Dict[str, Any], str, None]:
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        return text or None
    return cast(Dict[str, Any], parsed) if isinstance(parsed, dict) else text or None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _scalar(v: QueryScalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def cause_text(err: BaseException) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(err, (http.client.RemoteDisconnected, EOFError)):
        return "the server closed the connection without an answer"
    return f"{type(err).__name__}: {err}"
