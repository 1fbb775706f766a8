"""Cursor pagination: ``{<items>, page_info: {has_next_page, next_cursor}}`` iterated lazily."""

from __future__ import annotations

from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Optional,
    TypeVar,
)

from ._flow import Flow
from .types import PageInfo

T = TypeVar("T")


class Page(Generic[T]):
    """One page: ``items``, ``has_next_page``, ``next_cursor``, and ``body`` (the whole answer)."""

    def __init__(self, items: List[T], page_info: PageInfo, body: Dict[str, Any]) -> None:
        self.items = items
        self.page_info = page_info
        self.body = body

    @property
    def has_next_page(self) -> bool:
        return bool(self.page_info.get("has_next_page"))

    @property
    def next_cursor(self) -> Optional[str]:
        return self.page_info.get("next_cursor")

    def following(self) -> Optional[str]:
        """The cursor of the page after this one, or None when this is the last."""
        return self.next_cursor if self.has_next_page and self.next_cursor and self.items else None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Page({len(self.items)} items, has_next_page={self.has_next_page})"


FetchPage = Callable[[Optional[str]], Flow[Page[T]]]
"""The flow that fetches the page at a cursor (None: the first)."""


class Paginator(Generic[T]):
    """A list request, sent only when iterated.

    ``for item in paginator`` yields every item of every page (following ``next_cursor``);
    ``paginator.first_page()`` answers one page; ``paginator.pages()`` yields the pages.
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        drive: Callable[[Flow[Page[T]]], Page[T]],
        cursor: Optional[str] = None,
    ) -> None:
        self._fetch = fetch
        self._drive = drive
        self._cursor = cursor

    def first_page(self) -> Page[T]:
        return self._drive(self._fetch(self._cursor))

    def pages(self) -> Iterator[Page[T]]:
        page = self.first_page()
        yield page
        while True:
            cursor = page.following()
            if cursor is None:
                return
            page = self._drive(self._fetch(cursor))
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPaginator(Generic[T]):
    """The asyncio ``Paginator``: ``async for item in paginator``, ``await paginator.first_page()``,
    ``async for page in paginator.pages()``."""

    def __init__(
        self,
        fetch: FetchPage[T],
        drive: Callable[[Flow[Page[T]]], Awaitable[Page[T]]],
        cursor: Optional[str] = None,
    ) -> None:
        self._fetch = fetch
        self._drive = drive
        self._cursor = cursor

    async def first_page(self) -> Page[T]:
        return await self._drive(self._fetch(self._cursor))

    async def pages(self) -> AsyncIterator[Page[T]]:
        page = await self.first_page()
        yield page
        while True:
            cursor = page.following()
            if cursor is None:
                return
            page = await self._drive(self._fetch(cursor))
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item
