from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence

from .._flow import Flow
from ..types import AgentIdentity
from ._base import C, Collection, Options, PostOptions, endpoint

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class _IdentityFields(Options, total=False):
    """A named agent's fields besides its ``name``; ``extra_body`` carries the rarer ones
    (``credential_strategy``, ``harness_auth_secrets``, …)."""

    description: str
    prompt: str
    environment_id: str
    secrets: Sequence[Mapping[str, str]]
    skills: Sequence[str]
    base_model: str
    harness: Mapping[str, str]
    worker_host: str
    agent_type: str
    mcp_servers: Mapping[str, Any]
    extra_body: Mapping[str, Any]


class NewIdentity(_IdentityFields, PostOptions, total=False):
    name: Required[str]


class IdentityUpdate(_IdentityFields, total=False):
    name: str


class Identities(Collection[C, AgentIdentity]):
    """``client.agent.identities``: named agents (team service accounts) with their run defaults;
    use
    one with ``runs.create(agent_identity_uid=...)``."""

    path = "/agent/identities"
    key = "agents"

    # one filter more than Collection.list; every call of that one still works
    @endpoint
    def list(  # pyright: ignore[reportIncompatibleVariableOverride]
        self, *, factory_uid: Optional[str] = None, **options: Unpack[Options]
    ) -> Flow[List[AgentIdentity]]:
        """Every named agent (of one factory with ``factory_uid``)."""
        return (yield from self._items({"factory_uid": factory_uid}, **options))

    @endpoint
    def create(self, **fields: Unpack[NewIdentity]) -> Flow[AgentIdentity]:
        """Creates a named agent."""
        return self._create(fields)

    @endpoint
    def update(self, uid: str, **fields: Unpack[IdentityUpdate]) -> Flow[AgentIdentity]:
        """A partial update: omitted fields are unchanged; an empty string, list or mapping clears
        one."""
        return self._replace(uid, fields)
