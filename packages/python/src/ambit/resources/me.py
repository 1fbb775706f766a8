from __future__ import annotations

from typing import TYPE_CHECKING

from .._flow import Flow
from ..types import Me
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class MeResource(APIResource[C]):
    """``client.me``: who the caller is."""

    @endpoint
    def retrieve(self, **options: Unpack[Options]) -> Flow[Me]:
        """The caller's ``user`` (``None`` for a service account), ``team``, ``role`` now, whether
        the credential reaches their ``personal`` resources, and ``via``: ``"api_key"`` or
        ``"session"`` (a web console session)."""
        return self._client.request_flow("GET", "/me", **options)
