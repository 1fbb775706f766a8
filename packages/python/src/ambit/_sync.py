"""Runs flows on blocking sockets (``http.client``): the base of ``Ambit``."""

from __future__ import annotations

import http.client
import socket
import time
from typing import TYPE_CHECKING, Any, Dict, Generator, Union
from urllib.parse import urlsplit

from ._client import BaseClient, RequestOptions, cause_text, origin_of
from ._errors import AmbitError, APIConnectionError, APITimeoutError
from ._flow import Done, Emit, Flow, Prepared, ReadAll, ReadSome, Send, Sleep, Step, T, resume

if TYPE_CHECKING:
    from typing_extensions import Unpack


class SyncResponse:
    """An ``http.client`` response and its connection; closing it closes both."""

    def __init__(
        self, response: http.client.HTTPResponse, conn: http.client.HTTPConnection, url: str
    ) -> None:
        self.raw = response
        self.conn = conn
        self.url = url
        self.status = response.status
        self.headers: Dict[str, str] = {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        self.raw.close()
        self.conn.close()


class SyncClient(BaseClient):
    """A client that runs its flows here and now, blocking the calling thread."""

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """Any request under ``/api/v1`` with the client's auth, retries and errors; answers the
        parsed
        JSON body (None for 204, text for non-JSON). For endpoints this SDK has no method for yet.
        """
        return self.drive(self.request_flow(method, path, **options))

    def drive(self, flow: Flow[T]) -> T:
        """Runs a flow to its end and answers what it returned."""
        outcome = self.advance(flow)
        if isinstance(outcome, Emit):
            raise TypeError("a flow that emits values must be iterated, not driven")
        result: T = outcome.value
        return result

    def advance(self, flow: Generator[Step, Any, Any]) -> Union[Emit, Done]:
        """Runs a flow to its next ``Emit`` (answered) or its end (``Done``)."""
        step = resume(flow, None, None)
        while not isinstance(step, (Emit, Done)):
            try:
                value, error = self._perform(step), None
            except AmbitError as err:
                value, error = None, err
            step = resume(flow, value, error)
        return step

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return self._send(step.request, step.timeout)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, (ReadAll, ReadSome)):
            response = step.response
            assert isinstance(response, SyncResponse)
            return _read(response, step.timeout, whole=isinstance(step, ReadAll))
        raise TypeError(f"not a step: {step!r}")

    def _send(self, request: Prepared, timeout: float) -> SyncResponse:
        parts = urlsplit(request.url)
        host = parts.hostname or "localhost"
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
        target = parts.path + ("?" + parts.query if parts.query else "")
        try:
            conn.request(request.method, target, body=request.payload, headers=request.headers)
            return SyncResponse(conn.getresponse(), conn, request.url)
        except socket.timeout as err:
            conn.close()
            raise APITimeoutError(
                f"no answer from {origin_of(request.url)} within {timeout} s"
            ) from err
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise APIConnectionError(
                f"could not reach {origin_of(request.url)}: {cause_text(err)}"
            ) from err


def _read(response: SyncResponse, timeout: float, *, whole: bool) -> bytes:
    origin = origin_of(response.url)
    try:
        if response.raw.isclosed():
            return b""
        return response.raw.read() if whole else response.raw.read1(65536)
    except socket.timeout as err:
        response.close()
        raise APITimeoutError(f"the answer from {origin} stalled past {timeout} s") from err
    except (OSError, http.client.HTTPException, ValueError) as err:
        response.close()
        raise APIConnectionError(f"the answer from {origin} broke off: {err!r}") from err
    finally:
        if whole:
            response.close()
