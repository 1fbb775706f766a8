from __future__ import annotations

from typing import TYPE_CHECKING, List

from .._client import path_of
from .._flow import Flow
from ..types import WebSession
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Sessions(APIResource[C]):
    """``client.auth.sessions``: the caller's own web console sessions."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[WebSession]]:
        """The caller's live web sessions (never their tokens); ``current`` marks this request's
        own (never one with an API key)."""
        return self._list_at("/auth/sessions", "sessions", **options)

    @endpoint
    def delete(self, uid: str, **options: Unpack[Options]) -> Flow[None]:
        """Ends one of the caller's sessions, and the live connections it opened;
        ``NotFoundError`` if the caller has none with that uid."""
        return self._client.request_flow("DELETE", path_of("/auth/sessions/{}", uid), **options)


class Auth(APIResource[C]):
    """``client.auth``: signing in to the web console (the sessions it opened)."""

    def __init__(self, client: C) -> None:
        super().__init__(client)
        self.sessions = Sessions(client)
