from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

from .._client import path_of
from .._flow import Flow
from ..types import ScheduledAgentItem
from ._base import C, Collection, Options, PostOptions, endpoint

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class ScheduleFields(Options, total=False):
    name: Required[str]
    cron_schedule: Required[str]
    """A 5-field cron, read in ``timezone`` (default UTC)."""
    prompt: Optional[str]
    mode: Optional[str]
    agent_uid: Optional[str]
    agent_config: Optional[Mapping[str, Any]]
    metadata: Optional[Mapping[str, str]]
    timezone: Optional[str]
    overlap_policy: Optional[str]
    enabled: Optional[bool]


class NewSchedule(ScheduleFields, PostOptions, total=False):
    team: Optional[bool]
    """Shared with the team (its runs too)."""


class Schedules(Collection[C, ScheduledAgentItem]):
    """``client.agent.schedules``: agents that run on a cron schedule."""

    path = "/agent/schedules"
    key = "schedules"

    @endpoint
    def create(self, **fields: Unpack[NewSchedule]) -> Flow[ScheduledAgentItem]:
        """Creates a schedule."""
        return self._create(fields)

    @endpoint
    def update(
        self, schedule_id: str, **fields: Unpack[ScheduleFields]
    ) -> Flow[ScheduledAgentItem]:
        """Replaces the schedule (``PUT``): omitted ``metadata``, ``agent_config`` and ``mode`` are
        cleared; ``enabled`` is needed."""
        return self._replace(schedule_id, fields)

    @endpoint
    def pause(self, schedule_id: str, **options: Unpack[PostOptions]) -> Flow[ScheduledAgentItem]:
        """Stops the schedule from starting runs until ``resume``."""
        return self._client.request_flow(
            "POST", path_of("/agent/schedules/{}/pause", schedule_id), **options
        )

    @endpoint
    def resume(self, schedule_id: str, **options: Unpack[PostOptions]) -> Flow[ScheduledAgentItem]:
        return self._client.request_flow(
            "POST", path_of("/agent/schedules/{}/resume", schedule_id), **options
        )
