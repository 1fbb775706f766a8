"""Cursor pagination: ``{<items>, page_info: {has_next_page, next_cursor}}`` iterated lazily."""

from __future__ import annotations

from typing import Any, Callable, Dict, Generic, Iterator, List, Optional, TypeVar

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

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Page({len(self.items)} items, has_next_page={self.has_next_page})"


class Paginator(Generic[T]):
    """A list request, sent only when iterated.

    ``for item in paginator`` yields every item of every page (following ``next_cursor``);
    ``paginator.first_page()`` answers one page; ``paginator.pages()`` yields the pages.
    """

    def __init__(self, fetch: Callable[[Optional[str]], Page[T]], cursor: Optional[str] = None) -> None:
        self._fetch = fetch
        self._cursor = cursor

    def first_page(self) -> Page[T]:
        return self._fetch(self._cursor)

    def pages(self) -> Iterator[Page[T]]:
        page = self._fetch(self._cursor)
        yield page
        while page.has_next_page and page.next_cursor and page.items:
            page = self._fetch(page.next_cursor)
            yield page

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items
