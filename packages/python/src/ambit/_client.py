"""The transport every resource shares: auth, JSON, retries with backoff, timeouts, idempotency keys, error classes."""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import random
import socket
import threading
import time
import uuid
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union, cast
from urllib.parse import quote, urlencode, urlsplit

from ._errors import AmbitError, APIConnectionError, APITimeoutError, make_status_error

__all__ = ["BaseClient", "RawResponse", "api_base_of", "path_of", "retry_delay", "QueryValue"]

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
    """``http://host:8787``, ``http://host:8787/``, ``http://host:8787/api/v1`` → ``http://host:8787/api/v1``."""
    trimmed = base_url.rstrip("/")
    return trimmed if trimmed.endswith("/api/v1") else trimmed + "/api/v1"


def path_of(template: str, *segments: str) -> str:
    """``path_of("/agent/runs/{}/cancel", run_id)`` with every segment percent-encoded."""
    return template.format(*(quote(str(s), safe="") for s in segments))


class RawResponse:
    """What the server answered, besides the body: ``status``, ``headers`` (lower-case names), ``url``."""

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
    """Whether an answer is worth trying again: ``x-should-retry`` wins, else 408, 409, 429 and 5xx."""
    flag = headers.get("x-should-retry")
    if flag == "true":
        return True
    if flag == "false":
        return False
    return status in (408, 409, 429) or status >= 500


def retry_delay(retry: int, headers: Optional[Mapping[str, str]] = None) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): ``retry-after-ms``, ``retry-after``, else backoff with jitter."""
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


class BaseClient:
    """Holds the configuration and sends requests under ``/api/v1`` (``request``, ``open``)."""

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
        key: str = "" if _keyless else (api_key if api_key is not None else os.environ.get("AMBIT_API_KEY", ""))
        if not key and not _keyless:
            raise AmbitError(
                "no API key: pass Ambit(api_key=...) or set AMBIT_API_KEY "
                "(create one with `ambit api-key create` or POST /api/v1/api-keys)"
            )
        self.api_key = key
        self.base_url = api_base_of(base_url or os.environ.get("AMBIT_BASE_URL") or DEFAULT_BASE_URL)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
        self.default_headers = dict(default_headers or {})
        self._local = threading.local()

    @property
    def last_response(self) -> Optional[RawResponse]:
        """The answer to the last request this thread made with this client (status, headers), or None."""
        value: Optional[RawResponse] = getattr(self._local, "last_response", None)
        return value

    def build_url(self, path: str, query: Optional[Mapping[str, QueryValue]] = None) -> str:
        """The full URL of ``path`` (under ``/api/v1``) with ``query``; lists repeat the key, mappings become ``key[k]=v``."""
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

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, QueryValue]] = None,
        body: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        """Any request under ``/api/v1``; answers the parsed JSON body (None for 204, text for non-JSON)."""
        response, conn = self.open(
            method, path, query=query, body=body, headers=headers,
            timeout=timeout, max_retries=max_retries, idempotency_key=idempotency_key,
        )
        data = self.read_body(response, conn, timeout=timeout)
        if response.status == 204 or not data:
            return None
        text = data.decode("utf-8")
        media_type = (response.getheader("content-type") or "").split(";")[0].strip().lower()
        if media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json")):
            return json.loads(text)
        return text

    def read_body(self, response: http.client.HTTPResponse, conn: http.client.HTTPConnection, *, timeout: Optional[float] = None) -> bytes:
        """Reads an opened response to its end and closes it and its connection."""
        origin = _conn_origin(conn)
        try:
            try:
                return response.read()
            except socket.timeout as err:
                raise APITimeoutError(f"the answer from {origin} stalled past {self._timeout(timeout)} s") from err
            except (OSError, http.client.HTTPException) as err:
                raise APIConnectionError(f"the answer from {origin} broke off: {err!r}") from err
        finally:
            response.close()
            conn.close()

    def open(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, QueryValue]] = None,
        body: Optional[Any] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        redirects: bool = False,
    ) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        """Sends a request with retries and answers the open 2xx response (its body unread) and its connection.

        With ``redirects=True`` a 3xx answer is returned too (unread), for the caller to follow.
        """
        url = self.build_url(path, query)
        retries = self.max_retries if max_retries is None else max_retries
        seconds = self._timeout(timeout)
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
        return self._send(method, url, sent, payload, retries, seconds, redirects)

    def open_url(
        self, url: str, *, headers: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        """GETs an absolute URL that carries its own credentials (a signed link), with the same retries
        and errors as ``open`` but without the API key, which never leaves for another address."""
        sent: Dict[str, str] = {"accept": "*/*", "user-agent": USER_AGENT}
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        retries = self.max_retries if max_retries is None else max_retries
        return self._send("GET", url, sent, None, retries, self._timeout(timeout), False)

    def _send(
        self, method: str, url: str, sent: Dict[str, str], payload: Optional[bytes], retries: int, seconds: float, redirects: bool
    ) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        attempt = 0
        while True:
            sent["x-ambit-retry-count"] = str(attempt)
            try:
                response, conn = self._attempt(method, url, sent, payload, seconds)
            except APIConnectionError:
                if attempt >= retries:
                    raise
                attempt += 1
                time.sleep(retry_delay(attempt))
                continue
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            self._local.last_response = RawResponse(response.status, answer_headers, url, method.upper())
            if 200 <= response.status < 300 or (redirects and 300 <= response.status < 400):
                return response, conn
            if attempt < retries and should_retry(response.status, answer_headers):
                response.close()
                conn.close()
                attempt += 1
                time.sleep(retry_delay(attempt, answer_headers))
                continue
            try:
                text = response.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                text = ""
            finally:
                response.close()
                conn.close()
            problem: Union[Dict[str, Any], str, None]
            try:
                parsed: Any = json.loads(text) if text else None
                problem = cast(Dict[str, Any], parsed) if isinstance(parsed, dict) else text or None
            except ValueError:
                problem = text or None
            raise make_status_error(response.status, problem, answer_headers)

    def _attempt(
        self, method: str, url: str, headers: Mapping[str, str], payload: Optional[bytes], timeout: float
    ) -> Tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        target = parts.path + ("?" + parts.query if parts.query else "")
        try:
            conn.request(method.upper(), target, body=payload, headers=dict(headers))
            return conn.getresponse(), conn
        except socket.timeout as err:
            conn.close()
            raise APITimeoutError(f"no answer from {_origin_of(url)} within {timeout} s") from err
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise APIConnectionError(f"could not reach {_origin_of(url)}: {_cause_text(err)}") from err

    def _timeout(self, timeout: Optional[float]) -> float:
        return self.timeout if timeout is None else timeout


def _conn_origin(conn: http.client.HTTPConnection) -> str:
    https = isinstance(conn, http.client.HTTPSConnection)
    default = 443 if https else 80
    return f"{'https' if https else 'http'}://{conn.host}" + ("" if conn.port == default else f":{conn.port}")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _scalar(v: QueryScalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _cause_text(err: BaseException) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without an answer"
    return f"{type(err).__name__}: {err}"
