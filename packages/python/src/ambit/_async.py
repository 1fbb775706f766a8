"""Runs flows on asyncio: a small HTTP/1.1 client on ``asyncio.open_connection`` (TLS through
``ssl``; content-length, chunked and read-to-close bodies). The base of ``AsyncAmbit``."""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any, Awaitable, Dict, Generator, Optional, TypeVar, Union
from urllib.parse import urlsplit

from ._client import BaseClient, RequestOptions, cause_text, origin_of
from ._errors import AmbitError, APIConnectionError, APITimeoutError
from ._flow import Done, Emit, Flow, Prepared, ReadAll, ReadSome, Send, Sleep, Step, T, resume

if TYPE_CHECKING:
    from typing_extensions import Unpack

CHUNK = 65536
MAX_HEAD = 64 * 1024
R = TypeVar("R")


class AsyncResponse:
    """An answer read up to its body, on its own connection (closed with the response)."""

    def __init__(
        self,
        status: int,
        headers: Dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        url: str,
    ) -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self._reader = reader
        self._writer = writer
        self._closed = False
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self._left: Optional[int] = (
            int(length) if length is not None and not self._chunked else None
        )
        self._chunk_left = 0  # bytes of the current chunk still unread
        self._ended = status in (204, 304) or self._left == 0

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._writer.close()

    async def read_some(self) -> bytes:
        """What has arrived of the body (at least a byte), or ``b""`` at its end or once closed."""
        if self._closed or self._ended:
            return b""
        if self._chunked:
            return await self._read_chunked()
        data = await self._reader.read(CHUNK if self._left is None else min(CHUNK, self._left))
        if self._left is not None:
            if not data:
                raise asyncio.IncompleteReadError(b"", self._left)
            self._left -= len(data)
            self._ended = self._left == 0
        elif not data:
            self._ended = True
        return data

    async def _read_chunked(self) -> bytes:
        if self._chunk_left == 0:
            size_line = await self._reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await self._reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                self._ended = True
                return b""
            self._chunk_left = size
        data = await self._reader.read(min(CHUNK, self._chunk_left))
        if not data:
            raise asyncio.IncompleteReadError(b"", self._chunk_left)
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            await self._reader.readexactly(2)  # the CRLF after a chunk's data
        return data

    async def read_all(self) -> bytes:
        parts: list[bytes] = []
        while True:
            data = await self.read_some()
            if not data:
                return b"".join(parts)
            parts.append(data)


class AsyncClient(BaseClient):
    """A client whose calls are coroutines; one connection per request, nothing blocks the loop."""

    async def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """Any request under ``/api/v1`` with the client's auth, retries and errors; answers the
        parsed
        JSON body (None for 204, text for non-JSON). For endpoints this SDK has no method for yet.
        """
        return await self.drive(self.request_flow(method, path, **options))

    async def drive(self, flow: Flow[T]) -> T:
        """Runs a flow to its end and answers what it returned."""
        outcome = await self.advance(flow)
        if isinstance(outcome, Emit):
            raise TypeError("a flow that emits values must be iterated, not driven")
        result: T = outcome.value
        return result

    async def advance(self, flow: Generator[Step, Any, Any]) -> Union[Emit, Done]:
        """Runs a flow to its next ``Emit`` (answered) or its end (``Done``)."""
        step = resume(flow, None, None)
        while not isinstance(step, (Emit, Done)):
            try:
                value, error = await self._perform(step), None
            except AmbitError as err:
                value, error = None, err
            step = resume(flow, value, error)
        return step

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return await self._send(step.request, step.timeout)
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        if isinstance(step, (ReadAll, ReadSome)):
            response = step.response
            assert isinstance(response, AsyncResponse)
            whole = isinstance(step, ReadAll)
            try:
                return await _io(
                    response.read_all() if whole else response.read_some(),
                    step.timeout,
                    response.url,
                    reading=True,
                )
            except AmbitError:
                response.close()
                raise
            finally:
                if whole:
                    response.close()
        raise TypeError(f"not a step: {step!r}")

    async def _send(self, request: Prepared, timeout: float) -> AsyncResponse:
        parts = urlsplit(request.url)
        https = parts.scheme == "https"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if https else 80)
        context = ssl.create_default_context() if https else None
        reader, writer = await _io(
            asyncio.open_connection(host, port, ssl=context), timeout, request.url
        )
        try:
            target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
            lines = [
                f"{request.method} {target} HTTP/1.1",
                f"host: {parts.netloc}",
                "connection: close",
            ]
            lines += [
                f"{k}: {v}"
                for k, v in request.headers.items()
                if k not in ("host", "connection", "content-length")
            ]
            if request.payload is not None or request.method in ("POST", "PUT", "PATCH"):
                lines.append(f"content-length: {len(request.payload or b'')}")
            writer.write(
                ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (request.payload or b"")
            )
            await _io(writer.drain(), timeout, request.url)
            status, headers = await _io(_read_head(reader), timeout, request.url)
            return AsyncResponse(status, headers, reader, writer, request.url)
        except BaseException:
            writer.close()
            raise


async def _read_head(reader: asyncio.StreamReader) -> "tuple[int, Dict[str, str]]":
    while True:  # 1xx answers precede the real one
        status_line = await reader.readuntil(b"\r\n")
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
        status = int(parts[1])
        headers: Dict[str, str] = {}
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            size += len(line)
            if size > MAX_HEAD:
                raise ValueError("the answer's head is too long")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if status >= 200 or status == 101:
            return status, headers


async def _io(work: Awaitable[R], timeout: float, url: str, *, reading: bool = False) -> R:
    """Awaits transport work within ``timeout``, mapping failures to the SDK's connection errors."""
    origin = origin_of(url)
    try:
        return await asyncio.wait_for(work, timeout)
    except asyncio.TimeoutError as err:
        what = (
            f"the answer from {origin} stalled past"
            if reading
            else f"no answer from {origin} within"
        )
        raise APITimeoutError(f"{what} {timeout} s") from err
    except (
        OSError,
        EOFError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
    ) as err:
        what = f"the answer from {origin} broke off" if reading else f"could not reach {origin}"
        raise APIConnectionError(f"{what}: {cause_text(err)}") from err
