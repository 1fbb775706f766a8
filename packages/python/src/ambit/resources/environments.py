from __future__ import annotations

from typing import TYPE_CHECKING, List, Mapping, Optional, Sequence

from .._flow import Flow
from ..types import CloudEnvironment
from ._base import C, Collection, Options, PostOptions, endpoint

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class EnvironmentFields(Options, total=False):
    name: Required[str]
    description: Optional[str]
    docker_image: Optional[str]
    repositories: Optional[Sequence[Mapping[str, str]]]
    github_repos: Optional[Sequence[Mapping[str, str]]]
    setup_commands: Optional[Sequence[str]]
    env_vars: Optional[Mapping[str, str]]
    secrets: Optional[Sequence[Mapping[str, str]]]
    worker_host: Optional[str]


class NewEnvironment(EnvironmentFields, PostOptions, total=False):
    pass


class Environments(Collection[C, CloudEnvironment]):
    """``client.agent.environments``: where runs execute (image, repositories, setup, variables)."""

    path = "/agent/environments"
    key = "environments"

    # one filter more than Collection.list; every call of that one still works
    @endpoint
    def list(  # pyright: ignore[reportIncompatibleVariableOverride]
        self, *, sort_by: Optional[str] = None, **options: Unpack[Options]
    ) -> Flow[List[CloudEnvironment]]:
        return (yield from self._items({"sort_by": sort_by}, **options))

    @endpoint
    def create(self, **fields: Unpack[NewEnvironment]) -> Flow[CloudEnvironment]:
        return self._create(fields)

    @endpoint
    def update(self, uid: str, **fields: Unpack[EnvironmentFields]) -> Flow[CloudEnvironment]:
        """Replaces the environment (``PUT``, a full replacement)."""
        return self._replace(uid, fields)
