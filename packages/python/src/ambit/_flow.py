"""The steps a request takes, written once as generators and run by either client.

A flow is a generator that yields steps (send this request, read that body, sleep) and receives
their results; it holds every rule (retries, backoff, error mapping, reconnects). ``Ambit`` runs
flows with blocking sockets, ``AsyncAmbit`` with asyncio: only the doing of a step differs.
"""

from __future__ import annotations

from typing import Any, Dict, Generator, Optional, Protocol, TypeVar, Union

T = TypeVar("T")


class Response(Protocol):
    """An answer whose head was read: ``status``, ``headers`` (lower-case names); the body is read
    by steps."""

    status: int
    headers: Dict[str, str]

    def close(self) -> None:
        ...


class Prepared:
    """A request ready to send: method, absolute URL, headers, body bytes."""

    def __init__(
        self, method: str, url: str, headers: Dict[str, str], payload: Optional[bytes]
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.payload = payload


class Send:
    """Send ``request`` once; the result is a ``Response`` (body unread), or an
    ``APIConnectionError`` is thrown in."""

    def __init__(self, request: Prepared, timeout: float) -> None:
        self.request = request
        self.timeout = timeout


class ReadAll:
    """Read ``response``'s body to its end, then close it; the result is the bytes."""

    def __init__(self, response: Response, timeout: float) -> None:
        self.response = response
        self.timeout = timeout


class ReadSome:
    """Read what has arrived of ``response``'s body (waiting for at least a byte); ``b""`` at its
    end."""

    def __init__(self, response: Response, timeout: float) -> None:
        self.response = response
        self.timeout = timeout


class Sleep:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Emit:
    """Hand ``value`` to whoever iterates the flow (a run stream's event); the result is None."""

    def __init__(self, value: Any) -> None:
        self.value = value


Step = Union[Send, ReadAll, ReadSome, Sleep, Emit]
Flow = Generator[Step, Any, T]
"""A flow answering ``T``."""


class Done:
    """What running a flow to its next ``Emit`` gives when it returned instead."""

    def __init__(self, value: Any) -> None:
        self.value = value


def resume(
    flow: Generator[Step, Any, Any], value: Any, error: Optional[BaseException]
) -> Union[Step, Done]:
    """Hands a step's result (or error) to the flow; answers its next step, or ``Done`` when it
    returned."""
    try:
        return flow.send(value) if error is None else flow.throw(error)
    except StopIteration as stop:
        return Done(stop.value)
