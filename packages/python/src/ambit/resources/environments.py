from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, cast

from .._client import path_of
from ..types import CloudEnvironment
from ._base import APIResource, compact


class Environments(APIResource):
    """``client.agent.environments``: where runs execute (image, repositories, setup, variables)."""

    def list(self, *, sort_by: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[CloudEnvironment]:
        body: Dict[str, Any] = self._client.request(
            "GET", "/agent/environments", query={"sort_by": sort_by}, timeout=timeout, max_retries=max_retries
        )
        return cast(List[CloudEnvironment], body["environments"])

    def create(
        self,
        *,
        name: str,
        description: Optional[str] = None,
        docker_image: Optional[str] = None,
        repositories: Optional[Sequence[Mapping[str, str]]] = None,
        github_repos: Optional[Sequence[Mapping[str, str]]] = None,
        setup_commands: Optional[Sequence[str]] = None,
        env_vars: Optional[Mapping[str, str]] = None,
        secrets: Optional[Sequence[Mapping[str, str]]] = None,
        worker_host: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CloudEnvironment:
        body = compact(
            name=name, description=description, docker_image=docker_image, repositories=repositories, github_repos=github_repos,
            setup_commands=setup_commands, env_vars=env_vars, secrets=secrets, worker_host=worker_host,
        )
        return cast(CloudEnvironment, self._client.request(
            "POST", "/agent/environments", body=body, idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries
        ))

    def retrieve(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> CloudEnvironment:
        return cast(CloudEnvironment, self._client.request("GET", path_of("/agent/environments/{}", uid), timeout=timeout, max_retries=max_retries))

    def update(
        self,
        uid: str,
        *,
        name: str,
        description: Optional[str] = None,
        docker_image: Optional[str] = None,
        repositories: Optional[Sequence[Mapping[str, str]]] = None,
        github_repos: Optional[Sequence[Mapping[str, str]]] = None,
        setup_commands: Optional[Sequence[str]] = None,
        env_vars: Optional[Mapping[str, str]] = None,
        secrets: Optional[Sequence[Mapping[str, str]]] = None,
        worker_host: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CloudEnvironment:
        """Replaces the environment (``PUT``, a full replacement)."""
        body = compact(
            name=name, description=description, docker_image=docker_image, repositories=repositories, github_repos=github_repos,
            setup_commands=setup_commands, env_vars=env_vars, secrets=secrets, worker_host=worker_host,
        )
        return cast(CloudEnvironment, self._client.request(
            "PUT", path_of("/agent/environments/{}", uid), body=body, timeout=timeout, max_retries=max_retries
        ))

    def delete(self, uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/environments/{}", uid), timeout=timeout, max_retries=max_retries)
