from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, cast

from .._client import BaseClient, path_of
from ..types import ApiKey, CreatedApiKey, Member, Team
from ._base import APIResource, compact


class Members(APIResource):
    """``client.team.members``"""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[Member]:
        body: Dict[str, Any] = self._client.request("GET", "/team/members", timeout=timeout, max_retries=max_retries)
        return cast(List[Member], body["members"])

    def add(
        self,
        *,
        email: str,
        display_name: Optional[str] = None,
        role: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Member:
        """Adds a member (``role`` defaults to ``member``); a ``ConflictError`` if the email is already one."""
        return cast(Member, self._client.request(
            "POST", "/team/members", body=compact(email=email, display_name=display_name, role=role),
            idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries,
        ))

    def update(self, uid: str, *, role: str, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Member:
        """Changes a member's role."""
        return cast(Member, self._client.request(
            "PATCH", path_of("/team/members/{}", uid), body={"role": role}, timeout=timeout, max_retries=max_retries
        ))

    def remove(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/team/members/{}", uid), timeout=timeout, max_retries=max_retries)


class TeamResource(APIResource):
    """``client.team``: the caller's team."""

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.members = Members(client)

    def retrieve(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Team:
        """The team, its limits, and the caller's role in it."""
        return cast(Team, self._client.request("GET", "/team", timeout=timeout, max_retries=max_retries))

    def update(
        self,
        *,
        name: Optional[str] = None,
        limits: Optional[Mapping[str, int]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Team:
        """Renames the team and/or changes its limits (``max_concurrent_runs``, ``max_run_time_seconds``); admins."""
        return cast(Team, self._client.request("PATCH", "/team", body=compact(name=name, limits=limits), timeout=timeout, max_retries=max_retries))


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
