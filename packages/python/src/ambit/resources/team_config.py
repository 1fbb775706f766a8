"""The team's shared agent configuration: rules, saved prompts, environment variables, MCP
servers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

from .._client import path_of
from .._flow import Flow
from ..types import EnvVar, McpServer, Rule, SavedPrompt
from ._base import APIResource, C, Collection, Options, PostOptions, compact, endpoint

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class RuleFields(Options, total=False):
    name: Required[str]
    content: Required[str]
    enabled: Optional[bool]
    """Default true."""


class NewRule(RuleFields, PostOptions, total=False):
    pass


class Rules(Collection[C, Rule]):
    """``client.agent.rules``: instructions every run of the team receives."""

    path = "/agent/rules"
    key = "rules"

    @endpoint
    def create(self, **fields: Unpack[NewRule]) -> Flow[Rule]:
        return self._create(fields)

    @endpoint
    def update(self, uid: str, **fields: Unpack[RuleFields]) -> Flow[Rule]:
        """Replaces the rule (``PUT``; ``enabled`` defaults to true)."""
        return self._replace(uid, fields)


class PromptFields(Options, total=False):
    name: Required[str]
    prompt: Required[str]
    description: Optional[str]


class NewPrompt(PromptFields, PostOptions, total=False):
    pass


class Prompts(Collection[C, SavedPrompt]):
    """``client.agent.prompts``: saved prompts, usable as ``saved_prompt`` (uid or name) in
    ``runs.create``."""

    path = "/agent/prompts"
    key = "prompts"

    @endpoint
    def create(self, **fields: Unpack[NewPrompt]) -> Flow[SavedPrompt]:
        return self._create(fields)

    @endpoint
    def update(self, uid: str, **fields: Unpack[PromptFields]) -> Flow[SavedPrompt]:
        """Replaces the saved prompt (``PUT``)."""
        return self._replace(uid, fields)


class EnvVars(APIResource[C]):
    """``client.agent.env_vars``: the team's environment variables (not secret: values are
    shown)."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[EnvVar]]:
        return self._list_at("/agent/env-vars", "env_vars", **options)

    @endpoint
    def set(
        self,
        name: str,
        value: str,
        *,
        description: Optional[str] = None,
        **options: Unpack[Options],
    ) -> Flow[EnvVar]:
        """Creates or replaces the variable."""
        body = compact(value=value, description=description)
        return self._client.request_flow(
            "PUT", path_of("/agent/env-vars/{}", name), body=body, **options
        )

    @endpoint
    def delete(self, name: str, **options: Unpack[Options]) -> Flow[None]:
        return self._client.request_flow("DELETE", path_of("/agent/env-vars/{}", name), **options)


class McpServerFields(Options, total=False):
    """A server's registration: exactly one of ``command`` (with ``args``, ``env``) or ``url`` (with
    ``headers``)."""

    name: Required[str]
    description: Optional[str]
    command: Optional[str]
    args: Optional[Sequence[str]]
    env: Optional[Mapping[str, str]]
    url: Optional[str]
    headers: Optional[Mapping[str, str]]


class NewMcpServer(McpServerFields, PostOptions, total=False):
    pass


_MCP_CONFIG = ("command", "args", "env", "url", "headers")


def _mcp_params(fields: Mapping[str, Any]) -> Dict[str, Any]:
    """The flat keyword arguments with the server's launch fields moved under ``config``."""
    params = {k: v for k, v in fields.items() if k not in _MCP_CONFIG}
    return {**params, "config": {k: fields[k] for k in _MCP_CONFIG if fields.get(k) is not None}}


class McpServers(Collection[C, McpServer]):
    """``client.agent.mcp_servers``: registered MCP servers (a stdio ``command`` or a
    streamable-HTTP ``url``)."""

    path = "/agent/mcp-servers"
    key = "mcp_servers"

    @endpoint
    def create(self, **fields: Unpack[NewMcpServer]) -> Flow[McpServer]:
        """Registers a server."""
        return self._create(_mcp_params(fields))

    @endpoint
    def update(self, uid: str, **fields: Unpack[McpServerFields]) -> Flow[McpServer]:
        """Replaces the registration (``PUT``)."""
        return self._replace(uid, _mcp_params(fields))
