"""A run's events, live, over Server-Sent Events, with reconnects that neither skip nor repeat an event."""

from __future__ import annotations

import http.client
import json
import time
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Protocol, Tuple

from ._client import path_of, retry_delay
from ._errors import APIError, StreamDisconnected
from .types import TERMINAL_STATES, RunEvent

if TYPE_CHECKING:
    from ._client import BaseClient


class SseMessage:
    def __init__(self, data: str, id: Optional[str] = None, event: Optional[str] = None) -> None:
        self.data = data
        self.id = id
        self.event = event


class _Body(Protocol):
    def read1(self, n: int = ...) -> bytes: ...
    def isclosed(self) -> bool: ...


def parse_sse(response: _Body) -> Iterator[SseMessage]:
    """Parses a ``text/event-stream`` body (WHATWG rules: fields, blank-line dispatch, comments) as it arrives."""
    buffer = b""
    data: List[str] = []
    msg_id: Optional[str] = None
    event: Optional[str] = None
    while True:
        chunk = b"" if response.isclosed() else response.read1(65536)
        if not chunk:
            if not buffer.endswith(b"\r"):
                return
            chunk = b"\n"  # the stream ended on a CR: it ended that line
            response = _Ended()
        buffer += chunk
        while True:
            cut = _line_end(buffer)
            if cut is None:
                break
            line_bytes, buffer = buffer[: cut[0]], buffer[cut[1] :]
            line = line_bytes.decode("utf-8", "replace")
            if line == "":
                if data:
                    yield SseMessage("\n".join(data), msg_id, event)
                data, event = [], None
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
            elif field == "id":
                msg_id = value


class _Ended:
    def read1(self, n: int = -1) -> bytes:
        return b""

    def isclosed(self) -> bool:
        return True


def _line_end(buffer: bytes) -> Optional[Tuple[int, int]]:
    """(end of the first line, start of the next), or None when no whole line is buffered yet."""
    lf = buffer.find(b"\n")
    cr = buffer.find(b"\r", 0, lf if lf >= 0 else len(buffer))
    if cr < 0:
        return (lf, lf + 1) if lf >= 0 else None
    if cr + 1 == len(buffer):
        return None  # a "\n" may follow in the next chunk
    return (cr, cr + 2) if cr + 1 == lf else (cr, cr + 1)


class RunStream:
    """Iterate it for a run's events in seq order: those after ``after``, then live ones.

    A dropped connection is reopened with ``after`` (and ``Last-Event-ID``) = the last seq yielded,
    so no event is missed or repeated. With ``until_terminal`` (the default) the iteration ends once
    the run is in a terminal state and every event up to it was yielded.

    Attributes: ``last_seq``, ``state`` (the run's state as of the last event), ``reconnects``,
    ``response`` (the open HTTP response; closing it simulates a dropped connection).
    """

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
        self._client = client
        self.run_id = run_id
        self.last_seq: int = after
        self.state: Optional[str] = None
        self.reconnects = 0
        self.until_terminal = until_terminal
        self.max_reconnects = max_reconnects
        self.timeout = timeout
        self.response: Optional[http.client.HTTPResponse] = None
        self._conn: Optional[http.client.HTTPConnection] = None
        self._closed = False
        self._iterator: Optional[Iterator[RunEvent]] = None

    def close(self) -> None:
        """Ends the stream: the iteration stops and the connection is closed."""
        self._closed = True
        self._drop()

    def __enter__(self) -> "RunStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[RunEvent]:
        return self

    def __next__(self) -> RunEvent:
        if self._iterator is None:
            self._iterator = self._events()
        return next(self._iterator)

    def _drop(self) -> None:
        if self.response is not None:
            self.response.close()
        if self._conn is not None:
            self._conn.close()
        self.response = None
        self._conn = None

    def _events(self) -> Iterator[RunEvent]:
        failures = 0
        first = True
        try:
            while not self._closed:
                if not first:
                    self.reconnects += 1
                first = False
                try:
                    # where the log ends now, and the run's state there: replayed events rewrite it in order
                    run: Any = self._client.request("GET", path_of("/agent/runs/{}", self.run_id), timeout=self.timeout)
                    page: Any = self._client.request(
                        "GET", path_of("/agent/runs/{}/events", self.run_id), query={"after": self.last_seq, "limit": 1}, timeout=self.timeout
                    )
                    tail_seq = int(page["last_seq"])
                    self.state = str(run["state"])
                    if self._ended(tail_seq):
                        return
                    self.response, self._conn = self._client.open(
                        "GET",
                        path_of("/agent/runs/{}/events", self.run_id),
                        query={"after": self.last_seq},
                        headers={"accept": "text/event-stream", "last-event-id": str(self.last_seq)},
                        timeout=self.timeout,
                    )
                    failures = 0
                    for msg in parse_sse(self.response):
                        if self._closed:
                            return
                        event: RunEvent = json.loads(msg.data)
                        if event["seq"] <= self.last_seq:
                            continue
                        if event["type"] == "run.state_changed":
                            self.state = str(event["payload"].get("to"))
                        elif event["type"] == "run.created":
                            self.state = str(event["payload"].get("state"))
                        self.last_seq = int(event["seq"])
                        yield event
                        if self._ended(tail_seq):
                            return
                    raise StreamDisconnected("the event stream ended")
                except Exception as err:  # noqa: BLE001 - every transport failure is worth a reconnect
                    if self._closed:
                        return
                    failures += 1
                    if not _is_transient(err) or failures > self.max_reconnects:
                        raise
                finally:
                    self._drop()
                if self._closed:
                    return
                time.sleep(retry_delay(max(failures, 1)))
        finally:
            self._drop()

    def _ended(self, tail_seq: int) -> bool:
        return self.until_terminal and self.state in TERMINAL_STATES and self.last_seq >= tail_seq


def _is_transient(err: Exception) -> bool:
    """Transport failures and retryable answers are worth a reconnect; a 401/403/404 is not."""
    if isinstance(err, APIError):
        return err.retryable if err.retryable is not None else err.status >= 500
    return not isinstance(err, (ValueError, KeyError, TypeError))
