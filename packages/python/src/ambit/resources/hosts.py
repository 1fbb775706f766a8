from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from .._flow import Flow
from ..types import HostInfo
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Hosts(APIResource[C]):
    """``client.hosts``: the team's connected hosts (the machines that execute runs)."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[List[HostInfo]]:
        """Every connected host: its ``worker_id`` (pool), ``capacity`` and the runs it is
        ``running``."""
        return self._list_at("/hosts", "hosts", **options)

    @endpoint
    def connected_workers(self, **options: Unpack[Options]) -> Flow[List[Dict[str, Any]]]:
        """The connected self-hosted workers as Oz lists them (``worker_host``, …)."""
        return self._list_at("/agent/connected-self-hosted-workers", "workers", **options)
