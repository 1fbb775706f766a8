from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Union

from .._client import path_of
from .._flow import Flow
from ..types import (
    ApiKey,
    CreatedApiKey,
    Member,
    MemberBudget,
    ServiceAccount,
    SignUp,
    Team,
    TeamBudget,
)
from ._base import APIResource, C, Options, PostOptions, compact, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Members(APIResource[C]):
    """``client.team.members``"""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[Member]]:
        return self._list_at("/team/members", "members", **options)

    @endpoint
    def add(
        self,
        *,
        email: str,
        display_name: Optional[str] = None,
        role: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[Member]:
        """Adds a member (``role`` defaults to ``member``); a ``ConflictError`` if the email is
        already one."""
        body = compact(email=email, display_name=display_name, role=role)
        return self._client.request_flow("POST", "/team/members", body=body, **options)

    @endpoint
    def update(self, uid: str, *, role: str, **options: Unpack[Options]) -> Flow[Member]:
        """Changes a member's role."""
        return self._client.request_flow(
            "PATCH", path_of("/team/members/{}", uid), body={"role": role}, **options
        )

    @endpoint
    def remove(self, uid: str, **options: Unpack[Options]) -> Flow[None]:
        return self._client.request_flow("DELETE", path_of("/team/members/{}", uid), **options)


class _Keep:
    """An argument left out (``None`` means something else: remove)."""


KEEP = _Keep()


class Budget(APIResource[C]):
    """``client.team.budget``: the team's budgets on model spend (docs/gateway.md "Budgets")."""

    @endpoint
    def retrieve(self, **options: Unpack[Options]) -> Flow[TeamBudget]:
        """The budgets in USD, this month's ``spent`` (the team's, the caller's own runs', what
        calls in flight hold), ``period.resets_at``, and ``members``: each member's spend against
        their budget (admins: everyone; others: their own)."""
        return self._client.request_flow("GET", "/team/budget", **options)

    @endpoint
    def update(
        self,
        *,
        monthly_usd: Union[float, None, _Keep] = KEEP,
        member_monthly_usd: Union[float, None, _Keep] = KEEP,
        run_max_cost_usd: Union[float, None, _Keep] = KEEP,
        **options: Unpack[Options],
    ) -> Flow[TeamBudget]:
        """Sets budgets in USD (admins); ``None`` removes one, one left out stays."""
        given = {
            "monthly_usd": monthly_usd,
            "member_monthly_usd": member_monthly_usd,
            "run_max_cost_usd": run_max_cost_usd,
        }
        body: Dict[str, Optional[float]] = {
            k: v for k, v in given.items() if not isinstance(v, _Keep)
        }
        return self._client.request_flow("PATCH", "/team/budget", body=body, **options)

    @endpoint
    def set_member(
        self, uid: str, *, monthly_usd: Optional[float], **options: Unpack[Options]
    ) -> Flow[MemberBudget]:
        """Sets one member's (or service account's) own monthly budget in USD, in place of the
        team's ``member_monthly_usd`` (admins); ``None``: no monthly budget for them."""
        return self._client.request_flow(
            "PUT",
            path_of("/team/budget/members/{}", uid),
            body={"monthly_usd": monthly_usd},
            **options,
        )

    @endpoint
    def clear_member(self, uid: str, **options: Unpack[Options]) -> Flow[MemberBudget]:
        """Removes a member's own budget (admins): the team's per-member one applies again."""
        return self._client.request_flow(
            "DELETE", path_of("/team/budget/members/{}", uid), **options
        )


class TeamResource(APIResource[C]):
    """``client.team``: the caller's team."""

    def __init__(self, client: C) -> None:
        super().__init__(client)
        self.members = Members(client)
        self.budget = Budget(client)

    @endpoint
    def retrieve(self, **options: Unpack[Options]) -> Flow[Team]:
        """The team, its limits, and the caller's role in it."""
        return self._client.request_flow("GET", "/team", **options)

    @endpoint
    def update(
        self,
        *,
        name: Optional[str] = None,
        limits: Optional[Mapping[str, int]] = None,
        **options: Unpack[Options],
    ) -> Flow[Team]:
        """Renames the team and/or changes its limits (``max_concurrent_runs``,
        ``max_run_time_seconds``); admins."""
        return self._client.request_flow(
            "PATCH", "/team", body=compact(name=name, limits=limits), **options
        )


class Teams(APIResource[C]):
    """``client.teams``: signing a new team up (no key needed: see ``Ambit.sign_up``)."""

    @endpoint
    def create(
        self,
        *,
        name: str,
        owner_email: str,
        owner_display_name: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[SignUp]:
        """Creates a team, its owner and an owner API key (``api_key``, shown only here); the
        server must
        allow signup (``SIGNUP=open``)."""
        owner = compact(email=owner_email, display_name=owner_display_name)
        return self._client.request_flow(
            "POST", "/teams", body={"name": name, "owner": owner}, **options
        )


class ApiKeys(APIResource[C]):
    """``client.api_keys``: the team's API keys (a key's secret is shown only when created)."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[ApiKey]]:
        return self._list_at("/api-keys", "api_keys", **options)

    @endpoint
    def create(
        self,
        *,
        name: str,
        role: Optional[str] = None,
        user_uid: Optional[str] = None,
        expires_at: Optional[str] = None,
        expires_in_days: Optional[int] = None,
        scopes: Optional[List[str]] = None,
        pools: Optional[List[str]] = None,
        service_account_uid: Optional[str] = None,
        agent_uid: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[CreatedApiKey]:
        """Creates a key (``role`` at most the caller's); its secret ``key`` is in this answer
        only. ``scopes`` limit it (default: all its role allows); ``pools`` with
        ``scopes=["hosts:connect"]`` make a host key for those pools."""
        body = compact(
            name=name,
            role=role,
            user_uid=user_uid,
            expires_at=expires_at,
            expires_in_days=expires_in_days,
            scopes=scopes,
            pools=pools,
            service_account_uid=service_account_uid,
            agent_uid=agent_uid,
        )
        return self._client.request_flow("POST", "/api-keys", body=body, **options)

    @endpoint
    def delete(self, uid: str, **options: Unpack[Options]) -> Flow[None]:
        """Revokes the key."""
        return self._client.request_flow("DELETE", path_of("/api-keys/{}", uid), **options)


class ServiceAccounts(APIResource[C]):
    """``client.service_accounts``: the team's non-human members (admins). Mint their keys with
    ``client.api_keys.create(name=..., service_account_uid=uid)``."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[ServiceAccount]]:
        return self._list_at("/service-accounts", "service_accounts", **options)

    @endpoint
    def create(
        self,
        *,
        name: str,
        role: Optional[str] = None,
        description: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[ServiceAccount]:
        """Creates one (``role`` defaults to ``member``, at most the caller's)."""
        body = compact(name=name, role=role, description=description)
        return self._client.request_flow("POST", "/service-accounts", body=body, **options)

    @endpoint
    def update(
        self,
        uid: str,
        *,
        name: Optional[str] = None,
        role: Optional[str] = None,
        description: Optional[str] = None,
        **options: Unpack[Options],
    ) -> Flow[ServiceAccount]:
        """Renames it or changes its role (a lower role caps its keys)."""
        body = compact(name=name, role=role, description=description)
        return self._client.request_flow(
            "PATCH", path_of("/service-accounts/{}", uid), body=body, **options
        )

    @endpoint
    def delete(self, uid: str, **options: Unpack[Options]) -> Flow[None]:
        """Deletes it and revokes its keys."""
        return self._client.request_flow(
            "DELETE", path_of("/service-accounts/{}", uid), **options
        )
