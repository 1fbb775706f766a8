"""A run's events, live, over Server-Sent Events, with reconnects that neither skip nor repeat an
event.

The reconnecting is one flow (``stream_flow``); ``RunStream`` iterates it on blocking sockets,
``AsyncRunStream`` on asyncio.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterable, Iterator, List, Optional, Tuple

from ._client import path_of, retry_delay
from ._errors import APIError, StreamDisconnected
from ._flow import Done, Emit, Flow, ReadSome, Response, Sleep
from .types import TERMINAL_STATES, RunEvent

if TYPE_CHECKING:
    from ._async import AsyncClient
    from ._client import BaseClient
    from ._sync import SyncClient


class SseMessage:
    def __init__(self, data: str, id: Optional[str] = None, event: Optional[str] = None) -> None:
        self.data = data
        self.id = id
        self.event = event


class SseParser:
    """A ``text/event-stream`` parser fed bytes as they arrive (WHATWG rules: fields, blank-line
    dispatch, comments; lines end in LF, CRLF or CR, and may be cut anywhere)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: List[str] = []
        self._id: Optional[str] = None
        self._event: Optional[str] = None

    def feed(self, chunk: bytes) -> List[SseMessage]:
        """The messages ``chunk`` completes; ``feed(b"")`` says the stream ended."""
        if not chunk:
            # a stream that ended on a CR ended that line; an unfinished message is dropped
            chunk = b"\n" if self._buffer.endswith(b"\r") else b""
        self._buffer += chunk
        messages: List[SseMessage] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                return messages
            line_bytes, self._buffer = self._buffer[: cut[0]], self._buffer[cut[1] :]
            message = self._line(line_bytes.decode("utf-8", "replace"))
            if message is not None:
                messages.append(message)

    def _line(self, line: str) -> Optional[SseMessage]:
        if line == "":
            message = (
                SseMessage("\n".join(self._data), self._id, self._event) if self._data else None
            )
            self._data, self._event = [], None
            return message
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            self._id = value
        return None


def parse_sse(chunks: Iterable[bytes]) -> Iterator[SseMessage]:
    """Every message of a stream given as its chunks."""
    parser = SseParser()
    for chunk in chunks:
        if chunk:
            yield from parser.feed(chunk)
    yield from parser.feed(b"")


def _line_end(buffer: bytes) -> Optional[Tuple[int, int]]:
    """(end of the first line, start of the next), or None when no whole line is buffered yet."""
    lf = buffer.find(b"\n")
    cr = buffer.find(b"\r", 0, lf if lf >= 0 else len(buffer))
    if cr < 0:
        return (lf, lf + 1) if lf >= 0 else None
    if cr + 1 == len(buffer):
        return None  # a "\n" may follow in the next chunk
    return (cr, cr + 2) if cr + 1 == lf else (cr, cr + 1)


class _StreamBase:
    """What both run streams hold: where they are (``last_seq``, ``state``, ``reconnects``) and the
    flow that reads, reconnects and decides when the run's log is over."""

    def __init__(
        self,
        client: "BaseClient",
        run_id: str,
        *,
        after: int = 0,
        until_terminal: bool = True,
        max_reconnects: int = 10,
        timeout: Optional[float] = None,
    ) -> None:
        self.run_id = run_id
        self.last_seq: int = after
        self.state: Optional[str] = None
        self.reconnects = 0
        self.until_terminal = until_terminal
        self.max_reconnects = max_reconnects
        self.timeout = timeout
        self.response: Optional[Response] = None
        """The open HTTP response; closing it is a dropped connection (the stream reconnects)."""
        self._closed = False
        self._flow = self._stream_flow(client)

    def close(self) -> None:
        """Ends the stream: the iteration stops and the connection is closed."""
        self._closed = True
        self._flow.close()
        self._drop()

    def _drop(self) -> None:
        if self.response is not None:
            self.response.close()
        self.response = None

    def _stream_flow(self, client: "BaseClient") -> Flow[None]:
        failures = 0
        first = True
        events_path = path_of("/agent/runs/{}/events", self.run_id)
        try:
            while not self._closed:
                if not first:
                    self.reconnects += 1
                first = False
                try:
                    # where the log ends now, and the run's state there: replayed events rewrite it
                    # in order
                    run = yield from client.request_flow(
                        "GET", path_of("/agent/runs/{}", self.run_id), timeout=self.timeout
                    )
                    page = yield from client.request_flow(
                        "GET",
                        events_path,
                        query={"after": self.last_seq, "limit": 1},
                        timeout=self.timeout,
                    )
                    tail_seq = int(page["last_seq"])
                    self.state = str(run["state"])
                    if self._ended(tail_seq):
                        return
                    request = client.prepare(
                        "GET",
                        events_path,
                        query={"after": self.last_seq},
                        headers={
                            "accept": "text/event-stream",
                            "last-event-id": str(self.last_seq),
                        },
                    )
                    self.response = yield from client.send_flow(request, timeout=self.timeout)
                    failures = 0
                    parser = SseParser()
                    while True:
                        chunk: bytes = yield ReadSome(
                            self.response, client.effective_timeout(self.timeout)
                        )
                        for msg in parser.feed(chunk):
                            event = self._accept(json.loads(msg.data))
                            if event is None:
                                continue
                            yield Emit(event)
                            if self._ended(tail_seq):
                                return
                        if not chunk:
                            raise StreamDisconnected("the event stream ended")
                except (
                    Exception
                ) as err:  # noqa: BLE001 - every transport failure is worth a reconnect
                    failures += 1
                    if not _is_transient(err) or failures > self.max_reconnects:
                        raise
                finally:
                    self._drop()
                yield Sleep(retry_delay(max(failures, 1)))
        finally:
            self._drop()

    def _accept(self, event: RunEvent) -> Optional[RunEvent]:
        """The event if it is new (after ``last_seq``), with the stream's state moved along; else
        None."""
        if event["seq"] <= self.last_seq:
            return None
        if event["type"] == "run.state_changed":
            self.state = str(event["payload"].get("to"))
        elif event["type"] == "run.created":
            self.state = str(event["payload"].get("state"))
        self.last_seq = int(event["seq"])
        return event

    def _ended(self, tail_seq: int) -> bool:
        return self.until_terminal and self.state in TERMINAL_STATES and self.last_seq >= tail_seq


class RunStream(_StreamBase):
    """Iterate it for a run's events in seq order: those after ``after``, then live ones.

    A dropped connection is reopened with ``after`` (and ``Last-Event-ID``) = the last seq yielded,
    so no event is missed or repeated. With ``until_terminal`` (the default) the iteration ends once
    the run is in a terminal state and every event up to it was yielded.

    Attributes: ``last_seq``, ``state`` (the run's state as of the last event), ``reconnects``,
    ``response`` (the open HTTP response; closing it simulates a dropped connection).
    """

    def __init__(self, client: "SyncClient", run_id: str, **options: Any) -> None:
        super().__init__(client, run_id, **options)
        self._client = client

    def __enter__(self) -> "RunStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[RunEvent]:
        return self

    def __next__(self) -> RunEvent:
        if self._closed:
            raise StopIteration
        outcome = self._client.advance(self._flow)
        if isinstance(outcome, Done):
            raise StopIteration
        event: RunEvent = outcome.value
        return event


class AsyncRunStream(_StreamBase):
    """The asyncio ``RunStream``: ``async for event in client.agent.runs.stream(run_id)``, the same
    reconnects and attributes; ``async with`` closes it."""

    def __init__(self, client: "AsyncClient", run_id: str, **options: Any) -> None:
        super().__init__(client, run_id, **options)
        self._client = client

    async def __aenter__(self) -> "AsyncRunStream":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __aiter__(self) -> AsyncIterator[RunEvent]:
        return self

    async def __anext__(self) -> RunEvent:
        if self._closed:
            raise StopAsyncIteration
        outcome = await self._client.advance(self._flow)
        if isinstance(outcome, Done):
            raise StopAsyncIteration
        event: RunEvent = outcome.value
        return event


def _is_transient(err: Exception) -> bool:
    """Transport failures and retryable answers are worth a reconnect; a 401/403/404 is not."""
    if isinstance(err, APIError):
        return err.retryable if err.retryable is not None else err.status >= 500
    return not isinstance(err, (ValueError, KeyError, TypeError))


__all__ = ["RunStream", "AsyncRunStream", "SseParser", "SseMessage", "parse_sse", "Emit"]
