from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from ..types import HostInfo
from ._base import APIResource


class Hosts(APIResource):
    """``client.hosts``: the team's connected hosts (the machines that execute runs)."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[HostInfo]:
        """Every connected host: its ``worker_id`` (pool), ``capacity`` and the runs it is ``running``."""
        body: Dict[str, Any] = self._client.request("GET", "/hosts", timeout=timeout, max_retries=max_retries)
        return cast(List[HostInfo], body["hosts"])

    def connected_workers(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[Dict[str, Any]]:
        """The connected self-hosted workers as Oz lists them (``worker_host``, …)."""
        body: Dict[str, Any] = self._client.request("GET", "/agent/connected-self-hosted-workers", timeout=timeout, max_retries=max_retries)
        return cast(List[Dict[str, Any]], body["workers"])
