from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, cast

from .._client import path_of
from ..types import ScheduledAgentItem
from ._base import APIResource, compact


class Schedules(APIResource):
    """``client.agent.schedules``: agents that run on a cron schedule."""

    def create(
        self,
        *,
        name: str,
        cron_schedule: str,
        prompt: Optional[str] = None,
        mode: Optional[str] = None,
        agent_uid: Optional[str] = None,
        agent_config: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timezone: Optional[str] = None,
        overlap_policy: Optional[str] = None,
        enabled: Optional[bool] = None,
        team: Optional[bool] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ScheduledAgentItem:
        """Creates a schedule; ``cron_schedule`` is a 5-field cron read in ``timezone`` (default UTC)."""
        body = compact(
            name=name, cron_schedule=cron_schedule, prompt=prompt, mode=mode, agent_uid=agent_uid, agent_config=agent_config,
            metadata=metadata, timezone=timezone, overlap_policy=overlap_policy, enabled=enabled, team=team,
        )
        return cast(ScheduledAgentItem, self._client.request(
            "POST", "/agent/schedules", body=body, idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries
        ))

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[ScheduledAgentItem]:
        body: Dict[str, Any] = self._client.request("GET", "/agent/schedules", timeout=timeout, max_retries=max_retries)
        return cast(List[ScheduledAgentItem], body["schedules"])

    def retrieve(self, schedule_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> ScheduledAgentItem:
        return cast(ScheduledAgentItem, self._client.request(
            "GET", path_of("/agent/schedules/{}", schedule_id), timeout=timeout, max_retries=max_retries
        ))

    def update(
        self,
        schedule_id: str,
        *,
        name: str,
        cron_schedule: str,
        enabled: bool,
        prompt: Optional[str] = None,
        mode: Optional[str] = None,
        agent_uid: Optional[str] = None,
        agent_config: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timezone: Optional[str] = None,
        overlap_policy: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ScheduledAgentItem:
        """Replaces the schedule (``PUT``): omitted ``metadata``, ``agent_config`` and ``mode`` are cleared."""
        body = compact(
            name=name, cron_schedule=cron_schedule, enabled=enabled, prompt=prompt, mode=mode, agent_uid=agent_uid,
            agent_config=agent_config, metadata=metadata, timezone=timezone, overlap_policy=overlap_policy,
        )
        return cast(ScheduledAgentItem, self._client.request(
            "PUT", path_of("/agent/schedules/{}", schedule_id), body=body, timeout=timeout, max_retries=max_retries
        ))

    def delete(self, schedule_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/schedules/{}", schedule_id), timeout=timeout, max_retries=max_retries)

    def pause(self, schedule_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> ScheduledAgentItem:
        return cast(ScheduledAgentItem, self._client.request(
            "POST", path_of("/agent/schedules/{}/pause", schedule_id), timeout=timeout, max_retries=max_retries
        ))

    def resume(self, schedule_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> ScheduledAgentItem:
        return cast(ScheduledAgentItem, self._client.request(
            "POST", path_of("/agent/schedules/{}/resume", schedule_id), timeout=timeout, max_retries=max_retries
        ))
