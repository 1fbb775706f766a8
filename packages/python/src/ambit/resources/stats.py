from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .._flow import Flow
from ..types import RunStats, StatsGroupBy, UsageGroupBy, UsageReport
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Stats(APIResource[C]):
    """``client.stats``: aggregates over the team's runs and their spending, for dashboards."""

    @endpoint
    def runs(
        self,
        *,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        group_by: Optional[StatsGroupBy] = None,
        tz: Optional[str] = None,
        **options: Unpack[Options],
    ) -> Flow[RunStats]:
        """Counts by state, success rate, run and queue time percentiles, top failure reasons and a
        series, over the runs the caller can see created in [``from_``, ``to``) (default: the last
        30 days; at most 92). ``from_`` and ``to`` are RFC 3339 timestamps or dates (midnights in
        ``tz``, default UTC; a date as ``to`` includes that day). ``group_by``: ``day`` (default),
        ``source``, ``model``, ``environment``, ``creator`` or ``state``.

        ``client.stats.runs(from_="2026-03-01", to="2026-03-07", group_by="model")``
        """
        query = {"from": from_, "to": to, "group_by": group_by, "tz": tz}
        return self._client.request_flow("GET", "/stats/runs", query=query, **options)

    @endpoint
    def usage(
        self,
        *,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        group_by: Optional[UsageGroupBy] = None,
        tz: Optional[str] = None,
        **options: Unpack[Options],
    ) -> Flow[UsageReport]:
        """What the team spent in [``from_``, ``to``) (default: the last 30 days; at most 366):
        cost in USD, tokens by kind, model calls (and failed ones) from the gateway's ledger, runs
        created and their compute time, in ``total`` and as a ``series`` by ``group_by``: ``day``
        (default), ``member``, ``model``, ``source``, ``environment`` or ``schedule``.

        ``client.stats.usage(from_="2026-03-01", to="2026-03-31", group_by="model")``
        """
        query = {"from": from_, "to": to, "group_by": group_by, "tz": tz}
        return self._client.request_flow("GET", "/usage", query=query, **options)
