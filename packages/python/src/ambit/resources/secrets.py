from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from .._client import path_of
from .._errors import ConflictError
from .._flow import Flow
from ..types import Secret, SecretsKeyRotation
from ._base import APIResource, C, Options, PostOptions, endpoint, split_params

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class SecretFields(Options, total=False):
    description: Optional[str]
    type: Optional[str]
    scope: Optional[str]
    """``team`` (the default) or ``personal``."""


class NewSecret(SecretFields, PostOptions, total=False):
    name: Required[str]
    value: Required[str]


class Secrets(APIResource[C]):
    """``client.agent.secrets``: values handed to runs as environment variables; write-only."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[Secret]]:
        """Every secret the caller sees (names and descriptions; values are never answered)."""
        return self._list_at("/agent/secrets", "secrets", **options)

    @endpoint
    def create(self, **fields: Unpack[NewSecret]) -> Flow[Secret]:
        """Creates a secret (``scope`` ``team``, the default, or ``personal``); a ``ConflictError``
        if it exists."""
        body, options = split_params(fields)
        return self._client.request_flow("POST", "/agent/secrets", body=body, **options)

    @endpoint
    def update(
        self, name: str, *, value: Optional[str] = None, **fields: Unpack[SecretFields]
    ) -> Flow[Secret]:
        """Changes a secret's value, description or type (omitted: unchanged)."""
        body, options = split_params({**fields, "value": value})
        scope = body.pop("scope", None)
        return self._client.request_flow(
            "PUT", path_of("/agent/secrets/{}", name), query={"scope": scope}, body=body, **options
        )

    @endpoint
    def set(self, name: str, value: str, **fields: Unpack[SecretFields]) -> Flow[Secret]:
        """Creates the secret, or replaces the value of the existing one."""
        try:
            return (yield from Secrets.create.flow(self, name=name, value=value, **fields))
        except ConflictError:
            return (yield from Secrets.update.flow(self, name, value=value, **fields))

    @endpoint
    def delete(
        self, name: str, *, scope: Optional[str] = None, **options: Unpack[Options]
    ) -> Flow[None]:
        return self._client.request_flow(
            "DELETE", path_of("/agent/secrets/{}", name), query={"scope": scope}, **options
        )

    @endpoint
    def rotate(self, **options: Unpack[PostOptions]) -> Flow[SecretsKeyRotation]:
        """Re-wraps the team's data key with the platform's current key (after an operator rotated
        it); admins."""
        return self._client.request_flow("POST", "/agent/secrets/rotate", **options)
