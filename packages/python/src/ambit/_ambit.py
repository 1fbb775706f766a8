"""The two clients, ``Ambit`` and ``AsyncAmbit``: the same resources over blocking sockets or
asyncio."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Mapping, Optional, TypedDict

from ._async import AsyncClient
from ._client import BaseClient
from ._flow import Flow
from ._sync import SyncClient
from .resources._base import APIResource, C, endpoint
from .resources.artifacts import Artifacts
from .resources.auth import Auth
from .resources.conversations import Conversations
from .resources.environments import Environments
from .resources.hosts import Hosts
from .resources.identities import Identities
from .resources.me import MeResource
from .resources.models import Models
from .resources.runs import RunCreateParams, Runs, create_run_flow
from .resources.schedules import Schedules
from .resources.secrets import Secrets
from .resources.skills import Skills
from .resources.audit_log import AuditLog
from .resources.stats import Stats
from .resources.team import ApiKeys, ServiceAccounts, TeamResource, Teams
from .resources.team_config import EnvVars, McpServers, Prompts, Rules
from .types import RunCreated, SignUp

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class Agent(APIResource[C]):
    """``client.agent``: runs and the team's agent configuration."""

    def __init__(self, client: C) -> None:
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

    @endpoint
    def run(self, **params: Unpack[RunCreateParams]) -> Flow[RunCreated]:
        """Creates a run on the legacy path ``POST /agent/run`` (as ``oz-agent-sdk``'s
        ``agent.run``);
        prefer ``runs.create``, which takes the same fields."""
        return create_run_flow(self, "/agent/run", params)


class ClientConfig(TypedDict, total=False):
    """What a client is made with (every field optional)."""

    api_key: Optional[str]
    """Default: ``AMBIT_API_KEY``."""
    base_url: Optional[str]
    """An origin, or one ending in ``/api/v1``. Default: ``AMBIT_BASE_URL``, then
    ``http://localhost:8787``."""
    timeout: Optional[float]
    """Seconds per attempt (default 60)."""
    max_retries: Optional[int]
    """Retries after the first attempt (default 2)."""
    default_headers: Optional[Mapping[str, str]]


class SignUpParams(TypedDict, total=False):
    name: Required[str]
    owner_email: Required[str]
    owner_display_name: Optional[str]
    base_url: Optional[str]
    timeout: Optional[float]


class _Resources(Generic[C]):
    """The resources of a client, over that client."""

    agent: Agent[C]
    team: TeamResource[C]
    teams: Teams[C]
    api_keys: ApiKeys[C]
    service_accounts: ServiceAccounts[C]
    hosts: Hosts[C]
    stats: Stats[C]
    me: MeResource[C]
    auth: Auth[C]
    audit_log: AuditLog[C]

    def _attach(self, client: C) -> None:
        self.agent = Agent(client)
        self.team = TeamResource(client)
        self.teams = Teams(client)
        self.api_keys = ApiKeys(client)
        self.service_accounts = ServiceAccounts(client)
        self.hosts = Hosts(client)
        self.stats = Stats(client)
        self.me = MeResource(client)
        self.auth = Auth(client)
        self.audit_log = AuditLog(client)


def _signup(client: BaseClient, params: SignUpParams) -> Flow[SignUp]:
    anonymous = type(client)(
        base_url=params.get("base_url"), timeout=params.get("timeout"), _keyless=True
    )
    return Teams.create.flow(
        Teams(anonymous),
        name=params["name"],
        owner_email=params["owner_email"],
        owner_display_name=params.get("owner_display_name"),
    )


class Ambit(SyncClient, _Resources[SyncClient]):
    """A client of one Ambit platform; each call blocks until its answer.

    ``api_key`` defaults to ``AMBIT_API_KEY``; ``base_url`` (an origin, or one ending in
    ``/api/v1``)
    to ``AMBIT_BASE_URL``, then ``http://localhost:8787``. ``timeout`` (seconds per attempt, default
    60) and ``max_retries`` (default 2) apply to every request; each method also takes them.
    ``last_response`` holds the status and headers of this thread's last answer.
    """

    def __init__(self, **config: Unpack[ClientConfig]) -> None:
        super().__init__(**config)
        self._attach(self)

    @staticmethod
    def sign_up(**params: Unpack[SignUpParams]) -> SignUp:
        """Creates a team (``POST /teams``, no key needed) and answers its owner's API key (shown
        only here):
        ``name``, ``owner_email``, ``owner_display_name``, and the ``base_url`` and ``timeout`` to
        use.

        ``Ambit(api_key=Ambit.sign_up(name="acme", owner_email="me@acme.dev")["api_key"])``
        """
        client = SyncClient(_keyless=True)
        return client.drive(_signup(client, params))


class AsyncAmbit(AsyncClient, _Resources[AsyncClient]):
    """``Ambit`` for asyncio: the same resources, each call a coroutine (``await``), lists and run
    streams iterated with ``async for``. Standard library only: HTTP/1.1 on
    ``asyncio.open_connection``.

    ``last_response`` holds the status and headers of the calling task's last answer.
    """

    def __init__(self, **config: Unpack[ClientConfig]) -> None:
        super().__init__(**config)
        self._attach(self)

    @staticmethod
    async def sign_up(**params: Unpack[SignUpParams]) -> SignUp:
        """``Ambit.sign_up``, awaited."""
        client = AsyncClient(_keyless=True)
        return await client.drive(_signup(client, params))
