from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from .._client import BaseClient, path_of
from ..types import ApiKey, CreatedApiKey, Member, Team
from ._base import APIResource, compact


class Members(APIResource):
    """``client.team.members``"""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[Member]:
        body: Dict[str, Any] = self._client.request("GET", "/team/members", timeout=timeout, max_retries=max_retries)
        return cast(List[Member], body["members"])


class TeamResource(APIResource):
    """``client.team``: the caller's team."""

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.members = Members(client)

    def retrieve(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Team:
        """The team, its limits, and the caller's role in it."""
        return cast(Team, self._client.request("GET", "/team", timeout=timeout, max_retries=max_retries))


class ApiKeys(APIResource):
    """``client.api_keys``: the team's API keys (a key's secret is shown only when created)."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[ApiKey]:
        body: Dict[str, Any] = self._client.request("GET", "/api-keys", timeout=timeout, max_retries=max_retries)
        return cast(List[ApiKey], body["api_keys"])

    def create(
        self,
        *,
        name: str,
        role: Optional[str] = None,
        user_uid: Optional[str] = None,
        expires_at: Optional[str] = None,
        expires_in_days: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CreatedApiKey:
        body = compact(name=name, role=role, user_uid=user_uid, expires_at=expires_at, expires_in_days=expires_in_days)
        return cast(CreatedApiKey, self._client.request(
            "POST", "/api-keys", body=body, idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries
        ))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        """Revokes the key."""
        self._client.request("DELETE", path_of("/api-keys/{}", uid), timeout=timeout, max_retries=max_retries)
