from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from .._client import path_of
from .._flow import Flow
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Conversations(APIResource[C]):
    """``client.agent.conversations``: the runs that share a ``conversation_id``, as one
    conversation."""

    @endpoint
    def retrieve(self, conversation_id: str, **options: Unpack[Options]) -> Flow[Dict[str, Any]]:
        """The normalized conversation (Oz ``ConversationResponse``)."""
        return self._client.request_flow(
            "GET", path_of("/agent/conversations/{}", conversation_id), **options
        )
