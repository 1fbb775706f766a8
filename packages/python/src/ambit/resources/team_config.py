"""The team's shared agent configuration: rules, saved prompts, environment variables, MCP servers."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, cast

from .._client import path_of
from ..types import EnvVar, McpServer, Rule, SavedPrompt
from ._base import APIResource, compact


class Rules(APIResource):
    """``client.agent.rules``: instructions every run of the team receives."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[Rule]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/rules", timeout=timeout, max_retries=max_retries)
        return cast(List[Rule], body["rules"])

    def create(
        self, *, name: str, content: str, enabled: Optional[bool] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Rule:
        return cast(Rule, self._client.request(
            "POST", "/agent/rules", body=compact(name=name, content=content, enabled=enabled), timeout=timeout, max_retries=max_retries
        ))

    def retrieve(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Rule:
        return cast(Rule, self._client.request("GET", path_of("/agent/rules/{}", uid), timeout=timeout, max_retries=max_retries))

    def update(
        self, uid: str, *, name: str, content: str, enabled: Optional[bool] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Rule:
        """Replaces the rule (``PUT``; ``enabled`` defaults to true)."""
        return cast(Rule, self._client.request(
            "PUT", path_of("/agent/rules/{}", uid), body=compact(name=name, content=content, enabled=enabled), timeout=timeout, max_retries=max_retries
        ))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/rules/{}", uid), timeout=timeout, max_retries=max_retries)


class Prompts(APIResource):
    """``client.agent.prompts``: saved prompts, usable as ``saved_prompt`` (uid or name) in ``runs.create``."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[SavedPrompt]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/prompts", timeout=timeout, max_retries=max_retries)
        return cast(List[SavedPrompt], body["prompts"])

    def create(
        self, *, name: str, prompt: str, description: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> SavedPrompt:
        return cast(SavedPrompt, self._client.request(
            "POST", "/agent/prompts", body=compact(name=name, prompt=prompt, description=description), timeout=timeout, max_retries=max_retries
        ))

    def retrieve(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> SavedPrompt:
        return cast(SavedPrompt, self._client.request("GET", path_of("/agent/prompts/{}", uid), timeout=timeout, max_retries=max_retries))

    def update(
        self, uid: str, *, name: str, prompt: str, description: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> SavedPrompt:
        return cast(SavedPrompt, self._client.request(
            "PUT", path_of("/agent/prompts/{}", uid), body=compact(name=name, prompt=prompt, description=description), timeout=timeout, max_retries=max_retries
        ))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/prompts/{}", uid), timeout=timeout, max_retries=max_retries)


class EnvVars(APIResource):
    """``client.agent.env_vars``: the team's environment variables (not secret: values are shown)."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[EnvVar]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/env-vars", timeout=timeout, max_retries=max_retries)
        return cast(List[EnvVar], body["env_vars"])

    def set(
        self, name: str, value: str, *, description: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> EnvVar:
        """Creates or replaces the variable."""
        return cast(EnvVar, self._client.request(
            "PUT", path_of("/agent/env-vars/{}", name), body=compact(value=value, description=description), timeout=timeout, max_retries=max_retries
        ))

    def delete(self, name: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/env-vars/{}", name), timeout=timeout, max_retries=max_retries)


class McpServers(APIResource):
    """``client.agent.mcp_servers``: registered MCP servers (a stdio ``command`` or a streamable-HTTP ``url``)."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[McpServer]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/mcp-servers", timeout=timeout, max_retries=max_retries)
        return cast(List[McpServer], body["mcp_servers"])

    def create(
        self,
        *,
        name: str,
        command: Optional[str] = None,
        args: Optional[Sequence[str]] = None,
        env: Optional[Mapping[str, str]] = None,
        url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> McpServer:
        """Registers a server: exactly one of ``command`` (with ``args``, ``env``) or ``url`` (with ``headers``)."""
        body = compact(name=name, description=description, config=compact(command=command, args=args, env=env, url=url, headers=headers))
        return cast(McpServer, self._client.request("POST", "/agent/mcp-servers", body=body, timeout=timeout, max_retries=max_retries))

    def retrieve(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> McpServer:
        return cast(McpServer, self._client.request("GET", path_of("/agent/mcp-servers/{}", uid), timeout=timeout, max_retries=max_retries))

    def update(
        self,
        uid: str,
        *,
        name: str,
        command: Optional[str] = None,
        args: Optional[Sequence[str]] = None,
        env: Optional[Mapping[str, str]] = None,
        url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        description: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> McpServer:
        """Replaces the registration (``PUT``)."""
        body = compact(name=name, description=description, config=compact(command=command, args=args, env=env, url=url, headers=headers))
        return cast(McpServer, self._client.request("PUT", path_of("/agent/mcp-servers/{}", uid), body=body, timeout=timeout, max_retries=max_retries))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/mcp-servers/{}", uid), timeout=timeout, max_retries=max_retries)
