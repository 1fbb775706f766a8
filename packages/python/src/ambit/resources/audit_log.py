from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, Mapping, Optional

from .._client import QueryValue
from .._flow import Flow
from .._pagination import FetchPage, Page
from ._base import APIResource, C, Options, paginated

if TYPE_CHECKING:
    from typing_extensions import Unpack

AuditEntry = Dict[str, Any]
"""One audit entry, as ``GET /audit-log`` answers it (docs/audit.md)."""

GENESIS_HASH = "0" * 64


def audit_entry_hash(entry: Mapping[str, Any]) -> str:
    """The hex SHA-256 of the entry's canonical JSON: every field but ``hash``, keys sorted, no
    whitespace (the encoding docs/audit.md defines; the server and ``ambit audit verify`` agree)."""
    rest = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_audit_chain(entries: Iterable[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """Checks entries in ``seq`` order (an export): each hash, each ``prev_hash``, no gap. Answers
    the first break as ``{"seq", "id", "problem"}``, or None when the chain holds."""
    prev: Optional[Mapping[str, Any]] = None
    for e in entries:

        def broken(problem: str, e: Mapping[str, Any] = e) -> Dict[str, Any]:
            return {"seq": e["seq"], "id": e["id"], "problem": problem}

        if prev is not None and e["seq"] != prev["seq"] + 1:
            return broken(f"seq follows {prev['seq']}: entries are missing")
        if prev is None and e["seq"] == 1 and e["prev_hash"] != GENESIS_HASH:
            return broken("the first entry's prev_hash is not the genesis hash")
        if prev is not None and e["prev_hash"] != prev["hash"]:
            return broken(f"prev_hash is not the hash of entry {prev['seq']}")
        if audit_entry_hash(e) != e["hash"]:
            return broken("hash does not match its content: edited")
        prev = e
    return None


class AuditLog(APIResource[C]):
    """``client.audit_log``: the team's audit log (admins)."""

    @paginated
    def list(
        self,
        *,
        actor: Optional[str] = None,
        action: Optional[str] = None,
        target: Optional[str] = None,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        **options: Unpack[Options],
    ) -> FetchPage[AuditEntry]:
        """Entries newest first, lazily across pages. ``action`` is exact, or a prefix ending in
        ``.``; ``actor`` matches a key's or a member's id.

        ``for e in client.audit_log.list(action="api_key."): print(e["seq"], e["action"])``
        """
        query: Dict[str, QueryValue] = {
            "actor": actor,
            "action": action,
            "target": target,
            "from": from_,
            "to": to,
            "limit": limit,
        }

        def fetch(page_cursor: Optional[str]) -> Flow[Page[AuditEntry]]:
            body = yield from self._client.request_flow(
                "GET", "/audit-log", query={**query, "cursor": page_cursor or cursor}, **options
            )
            return Page(body["entries"], body["page_info"], body)

        return fetch
