"""How a resource method is written once for both clients.

A method decorated with ``@endpoint`` returns a flow (``_flow.py``); read from a resource of
``Ambit`` it runs the flow and answers its result, from one of ``AsyncAmbit`` it answers a
coroutine. ``@paginated`` methods answer a ``Paginator`` or an ``AsyncPaginator``.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Coroutine,
    Dict,
    Generic,
    List,
    Mapping,
    Optional,
    Tuple,
    TypedDict,
    TypeVar,
    overload,
)

from .._async import AsyncClient
from .._client import BaseClient, QueryValue, path_of
from .._flow import Flow
from .._pagination import AsyncPaginator, FetchPage, Paginator
from .._sync import SyncClient

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec, Unpack

    P = ParamSpec("P")
else:
    P = TypeVar("P")  # typing.ParamSpec is 3.10+; only the type checker needs the real one

C = TypeVar("C", bound=BaseClient)
T = TypeVar("T")
Item = TypeVar("Item")


class Options(TypedDict, total=False):
    """Per-call overrides every method takes: seconds per attempt, and retries after the first."""

    timeout: Optional[float]
    max_retries: Optional[int]


class PostOptions(Options, total=False):
    """A POST's overrides: also its ``Idempotency-Key`` (generated when not given)."""

    idempotency_key: Optional[str]


class APIResource(Generic[C]):
    """A group of methods over one client (``Ambit`` or ``AsyncAmbit``)."""

    def __init__(self, client: C) -> None:
        self._client = client

    def _list_at(
        self,
        path: str,
        key: str,
        query: Optional[Mapping[str, QueryValue]] = None,
        **options: Unpack[Options],
    ) -> Flow[Any]:
        """The list under ``key`` of the answer to ``GET path``."""
        body = yield from self._client.request_flow("GET", path, query=query, **options)
        return body[key]


class endpoint(Generic[P, T]):
    """Makes a flow-returning method a method of both clients (see the module's docstring)."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self.flow = fn
        """The undecorated method: ``Runs.retrieve.flow(self, run_id)`` inside another flow."""
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, owner: Any) -> "endpoint[P, T]":
        ...

    @overload
    def __get__(self, obj: APIResource[SyncClient], owner: Any) -> Callable[P, T]:
        ...

    @overload
    def __get__(
        self, obj: APIResource[AsyncClient], owner: Any
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        ...

    def __get__(self, obj: Optional[APIResource[Any]], owner: Any) -> Any:
        if obj is None:
            return self
        fn = self.flow
        client: Any = obj._client  # pyright: ignore[reportPrivateUsage]

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return client.drive(fn(obj, *args, **kwargs))

        answer = "Awaitable[{}]" if isinstance(client, AsyncClient) else "{}"
        setattr(call, "__signature__", _signature_of(fn, answer))
        return call


class paginated(Generic[P, T]):
    """Makes a method answering a page fetcher answer a ``Paginator`` (``Ambit``) or
    ``AsyncPaginator``."""

    def __init__(self, fn: Callable[Concatenate[Any, P], FetchPage[T]]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, owner: Any) -> "paginated[P, T]":
        ...

    @overload
    def __get__(self, obj: APIResource[SyncClient], owner: Any) -> Callable[P, Paginator[T]]:
        ...

    @overload
    def __get__(self, obj: APIResource[AsyncClient], owner: Any) -> Callable[P, AsyncPaginator[T]]:
        ...

    def __get__(self, obj: Optional[APIResource[Any]], owner: Any) -> Any:
        if obj is None:
            return self
        fn = self.fn
        client: Any = obj._client  # pyright: ignore[reportPrivateUsage]
        cls: Any = AsyncPaginator if isinstance(client, AsyncClient) else Paginator

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return cls(fn(obj, *args, **kwargs), client.drive)

        setattr(call, "__signature__", _signature_of(fn, f"{cls.__name__}[{{}}]"))
        return call


@functools.lru_cache(maxsize=None)
def _signature_of(fn: Callable[..., Any], answer: str) -> inspect.Signature:
    """``fn``'s signature as callers see it (for ``help()``): without ``self``, and answering
    ``answer`` around what its flow answers (``Flow[Rule]`` becomes ``Rule`` or
    ``Awaitable[Rule]``).
    """
    signature = inspect.signature(fn)
    returned = str(signature.return_annotation)
    inner = re.sub(r"^(Flow|FetchPage)\[(.*)\]$", r"\2", returned)
    return signature.replace(
        parameters=list(signature.parameters.values())[1:], return_annotation=answer.format(inner)
    )


OPTION_KEYS = ("timeout", "max_retries", "idempotency_key")


def split_params(params: Mapping[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(the JSON body, the call options) of a method's keyword arguments: ``None`` fields are left
    out and ``extra_body`` (fields this SDK does not name yet) is merged into the body."""
    body = {
        k: v
        for k, v in params.items()
        if k not in OPTION_KEYS and k != "extra_body" and v is not None
    }
    body.update(params.get("extra_body") or {})
    return body, {k: params[k] for k in OPTION_KEYS if k in params}


def compact(**fields: Any) -> Dict[str, Any]:
    """The fields that were given (not None), as a JSON body."""
    return {k: v for k, v in fields.items() if v is not None}


class Collection(APIResource[C], Generic[C, Item]):
    """A team's collection at ``path`` (``GET`` lists it under ``key``; items at ``path/{uid}``):
    ``list``, ``retrieve`` and ``delete`` here; each subclass writes its ``create`` and ``update``
    with their fields (a ``TypedDict`` each), on ``_create`` and ``_replace``."""

    path: ClassVar[str]
    key: ClassVar[str]

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[Item]]:
        """Every item, in one answer."""
        return (yield from self._items(None, **options))

    @endpoint
    def retrieve(self, uid: str, **options: Unpack[Options]) -> Flow[Item]:
        """One item; ``NotFoundError`` if the team has none with that id."""
        return self._client.request_flow("GET", path_of(self.path + "/{}", uid), **options)

    @endpoint
    def delete(self, uid: str, **options: Unpack[Options]) -> Flow[None]:
        """Deletes the item; ``NotFoundError`` if there is none."""
        return self._client.request_flow("DELETE", path_of(self.path + "/{}", uid), **options)

    def _items(
        self, query: Optional[Mapping[str, QueryValue]], **options: Unpack[Options]
    ) -> Flow[List[Item]]:
        return self._list_at(self.path, self.key, query, **options)

    def _create(self, params: Mapping[str, Any]) -> Flow[Item]:
        """``POST path`` with ``params`` (a method's keyword arguments: body fields and call
        options)."""
        body, options = split_params(params)
        return self._client.request_flow("POST", self.path, body=body, **options)

    def _replace(self, uid: str, params: Mapping[str, Any]) -> Flow[Item]:
        """``PUT path/{uid}`` with ``params``."""
        body, options = split_params(params)
        return self._client.request_flow(
            "PUT", path_of(self.path + "/{}", uid), body=body, **options
        )
