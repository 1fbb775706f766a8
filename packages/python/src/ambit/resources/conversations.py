from __future__ import annotations

from typing import Any, Dict, Optional

from .._client import path_of
from ._base import APIResource


class Conversations(APIResource):
    """``client.agent.conversations``: the runs that share a ``conversation_id``, as one conversation."""

    def retrieve(self, conversation_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Dict[str, Any]:
        """The normalized conversation (Oz ``ConversationResponse``)."""
        result: Dict[str, Any] = self._client.request(
            "GET", path_of("/agent/conversations/{}", conversation_id), timeout=timeout, max_retries=max_retries
        )
        return result
