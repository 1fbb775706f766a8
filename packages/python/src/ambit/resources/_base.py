from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

if TYPE_CHECKING:
    from .._client import BaseClient


class APIResource:
    def __init__(self, client: "BaseClient") -> None:
        self._client = client


def compact(**fields: Any) -> Dict[str, Any]:
    """The fields that were given (not None), as a JSON body."""
    return {k: v for k, v in fields.items() if v is not None}
