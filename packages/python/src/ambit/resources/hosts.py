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
