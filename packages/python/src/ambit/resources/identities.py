from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, cast

from .._client import path_of
from ..types import AgentIdentity
from ._base import APIResource, compact


class Identities(APIResource):
    """``client.agent.identities``: named agents (team service accounts) with their run defaults; use one with ``runs.create(agent_identity_uid=...)``."""

    def list(self, *, factory_uid: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[AgentIdentity]:
        body: Dict[str, Any] = self._client.request(
            "GET", "/agent/identities", query={"factory_uid": factory_uid}, timeout=timeout, max_retries=max_retries
        )
        return cast(List[AgentIdentity], body["agents"])

    def create(
        self,
        *,
        name: str,
        description: Optional[str] = None,
        prompt: Optional[str] = None,
        environment_id: Optional[str] = None,
        secrets: Optional[Sequence[Mapping[str, str]]] = None,
        skills: Optional[Sequence[str]] = None,
        base_model: Optional[str] = None,
        harness: Optional[Mapping[str, str]] = None,
        worker_host: Optional[str] = None,
        agent_type: Optional[str] = None,
        mcp_servers: Optional[Mapping[str, Any]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> AgentIdentity:
        """Creates a named agent; ``extra_body`` carries the rarer fields (``credential_strategy``, ``harness_auth_secrets``, …)."""
        body = compact(
            name=name, description=description, prompt=prompt, environment_id=environment_id, secrets=secrets, skills=skills,
            base_model=base_model, harness=harness, worker_host=worker_host, agent_type=agent_type, mcp_servers=mcp_servers,
        )
        body.update(extra_body or {})
        return cast(AgentIdentity, self._client.request("POST", "/agent/identities", body=body, timeout=timeout, max_retries=max_retries))

    def retrieve(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> AgentIdentity:
        return cast(AgentIdentity, self._client.request("GET", path_of("/agent/identities/{}", uid), timeout=timeout, max_retries=max_retries))

    def update(
        self,
        uid: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        prompt: Optional[str] = None,
        environment_id: Optional[str] = None,
        secrets: Optional[Sequence[Mapping[str, str]]] = None,
        skills: Optional[Sequence[str]] = None,
        base_model: Optional[str] = None,
        harness: Optional[Mapping[str, str]] = None,
        worker_host: Optional[str] = None,
        agent_type: Optional[str] = None,
        mcp_servers: Optional[Mapping[str, Any]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> AgentIdentity:
        """A partial update: omitted fields are unchanged; an empty string, list or mapping clears one."""
        body = compact(
            name=name, description=description, prompt=prompt, environment_id=environment_id, secrets=secrets, skills=skills,
            base_model=base_model, harness=harness, worker_host=worker_host, agent_type=agent_type, mcp_servers=mcp_servers,
        )
        body.update(extra_body or {})
        return cast(AgentIdentity, self._client.request(
            "PUT", path_of("/agent/identities/{}", uid), body=body, timeout=timeout, max_retries=max_retries
        ))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/identities/{}", uid), timeout=timeout, max_retries=max_retries)
