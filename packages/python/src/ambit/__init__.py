"""Python client for the Ambit API.

    from ambit import Ambit
    client = Ambit()  # AMBIT_API_KEY, AMBIT_BASE_URL
    run = client.agent.runs.create(prompt="Fix the flaky test")
    print(client.agent.runs.wait(run["run_id"])["state"])
"""

from __future__ import annotations

from typing import Mapping, Optional, cast

from ._client import BaseClient, RawResponse
from ._errors import (
    AmbitError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RunWaitTimeoutError,
    StreamDisconnected,
    UnprocessableEntityError,
)
from ._pagination import Page, Paginator
from ._run_stream import RunStream
from .resources._base import APIResource
from .resources.artifacts import Artifacts
from .resources.conversations import Conversations
from .resources.environments import Environments
from .resources.hosts import Hosts
from .resources.identities import Identities
from .resources.models import Models
from .resources.runs import Runs
from .resources.schedules import Schedules
from .resources.secrets import Secrets
from .resources.skills import Skills
from .resources.team import ApiKeys, Members, TeamResource
from .resources.team_config import EnvVars, McpServers, Prompts, Rules
from .types import SignUp

__version__ = "0.1.0"


class Agent(APIResource):
    """``client.agent``: runs and the team's agent configuration."""

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self.runs = Runs(client)
        self.schedules = Schedules(client)
        self.secrets = Secrets(client)
        self.environments = Environments(client)
        self.rules = Rules(client)
        self.prompts = Prompts(client)
        self.env_vars = EnvVars(client)
        self.mcp_servers = McpServers(client)
        self.models = Models(client)
        self.identities = Identities(client)
        self.conversations = Conversations(client)
        self.skills = Skills(client)
        self.artifacts = Artifacts(client)


class Ambit(BaseClient):
    """A client of one Ambit platform.

    ``api_key`` defaults to ``AMBIT_API_KEY``; ``base_url`` (an origin, or one ending in ``/api/v1``)
    to ``AMBIT_BASE_URL``, then ``http://localhost:8787``. ``timeout`` (seconds per attempt, default
    60) and ``max_retries`` (default 2) apply to every request; each method also takes them.
    ``last_response`` holds the status and headers of this thread's last answer.
    """

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, default_headers=default_headers)
        self.agent = Agent(self)
        self.team = TeamResource(self)
        self.api_keys = ApiKeys(self)
        self.hosts = Hosts(self)

    @staticmethod
    def sign_up(
        *,
        name: str,
        owner_email: str,
        owner_display_name: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> SignUp:
        """Creates a team (``POST /teams``, no key needed) and answers its owner's API key (shown only here).

        ``Ambit(api_key=Ambit.sign_up(name="acme", owner_email="me@acme.dev")["api_key"])``
        """
        anonymous = BaseClient(base_url=base_url, timeout=timeout, _keyless=True)
        owner = {"email": owner_email, **({"display_name": owner_display_name} if owner_display_name else {})}
        return cast(SignUp, anonymous.request("POST", "/teams", body={"name": name, "owner": owner}))

    def with_options(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> "Ambit":
        """A copy of this client with other defaults."""
        return Ambit(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            default_headers=self.default_headers,
        )


__all__ = [
    "Ambit", "Agent", "RawResponse", "Page", "Paginator", "RunStream",
    "Runs", "Schedules", "Secrets", "Environments", "TeamResource", "Members", "ApiKeys", "Hosts", "Rules", "Prompts", "EnvVars", "McpServers", "Models", "Identities", "Conversations", "Skills", "Artifacts",
    "AmbitError", "APIError", "APIConnectionError", "APITimeoutError", "AuthenticationError", "BadRequestError",
    "ConflictError", "InternalServerError", "NotFoundError", "PayloadTooLargeError", "PermissionDeniedError",
    "RateLimitError", "RunWaitTimeoutError", "StreamDisconnected", "UnprocessableEntityError",
]
