from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from .._client import path_of
from .._errors import ConflictError
from ..types import Secret, SecretsKeyRotation
from ._base import APIResource, compact


class Secrets(APIResource):
    """``client.agent.secrets``: values handed to runs as environment variables; write-only."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[Secret]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/secrets", timeout=timeout, max_retries=max_retries)
        return cast(List[Secret], body["secrets"])

    def create(
        self,
        *,
        name: str,
        value: str,
        description: Optional[str] = None,
        type: Optional[str] = None,
        scope: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Secret:
        """Creates a secret (``scope`` ``team``, the default, or ``personal``); a ``ConflictError`` if it exists."""
        body = compact(name=name, value=value, description=description, type=type, scope=scope)
        return cast(Secret, self._client.request("POST", "/agent/secrets", body=body, timeout=timeout, max_retries=max_retries))

    def update(
        self,
        name: str,
        *,
        value: Optional[str] = None,
        description: Optional[str] = None,
        type: Optional[str] = None,
        scope: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Secret:
        """Changes a secret's value, description or type (omitted: unchanged)."""
        body = compact(value=value, description=description, type=type)
        return cast(Secret, self._client.request(
            "PUT", path_of("/agent/secrets/{}", name), query={"scope": scope}, body=body, timeout=timeout, max_retries=max_retries
        ))

    def set(
        self,
        name: str,
        value: str,
        *,
        description: Optional[str] = None,
        type: Optional[str] = None,
        scope: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Secret:
        """Creates the secret, or replaces the value of the existing one."""
        try:
            return self.create(name=name, value=value, description=description, type=type, scope=scope, timeout=timeout)
        except ConflictError:
            return self.update(name, value=value, description=description, type=type, scope=scope, timeout=timeout)

    def delete(self, name: str, *, scope: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/secrets/{}", name), query={"scope": scope}, timeout=timeout, max_retries=max_retries)

    def rotate(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> SecretsKeyRotation:
        """Re-wraps the team's data key with the platform's current key (after an operator rotated it); admins."""
        return cast(SecretsKeyRotation, self._client.request("POST", "/agent/secrets/rotate", timeout=timeout, max_retries=max_retries))
