from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from ..types import AgentSkill, RegisteredSkill
from ._base import APIResource, compact


class Skills(APIResource):
    """``client.agent.skills``: ``SKILL.md`` files found in repositories; run one with ``runs.create(skill=...)``."""

    def list(
        self,
        *,
        repo: Optional[str] = None,
        sort_by: Optional[str] = None,
        include_malformed_skills: Optional[bool] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> List[AgentSkill]:
        """Every skill by name with its variants (``GET /agent``); ``repo`` is ``owner/repo``."""
        body: Dict[str, Any] = self._client.request(
            "GET", "/agent", query={"repo": repo, "sort_by": sort_by, "include_malformed_skills": include_malformed_skills},
            timeout=timeout, max_retries=max_retries,
        )
        return cast(List[AgentSkill], body["agents"])

    def register(
        self,
        *,
        repo: str,
        skill_path: str,
        content: str,
        worker_host: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> RegisteredSkill:
        """Registers the ``SKILL.md`` at ``skill_path`` in ``repo`` (its text in ``content``, with ``name`` and ``description`` front matter)."""
        body = compact(repo=repo, skill_path=skill_path, content=content, worker_host=worker_host)
        return cast(RegisteredSkill, self._client.request("POST", "/agent/skills", body=body, timeout=timeout, max_retries=max_retries))

    def delete(self, id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        """Forgets a skill variant by its id (``owner/repo:skill_path``)."""
        self._client.request("DELETE", "/agent/skills", query={"id": id}, timeout=timeout, max_retries=max_retries)
