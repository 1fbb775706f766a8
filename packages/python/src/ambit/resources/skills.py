from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from .._flow import Flow
from ..types import AgentSkill, RegisteredSkill
from ._base import APIResource, C, Options, PostOptions, compact, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Skills(APIResource[C]):
    """``client.agent.skills``: ``SKILL.md`` files found in repositories; run one with
    ``runs.create(skill=...)``."""

    @endpoint
    def list(
        self,
        *,
        repo: Optional[str] = None,
        sort_by: Optional[str] = None,
        include_malformed_skills: Optional[bool] = None,
        **options: Unpack[Options],
    ) -> Flow[List[AgentSkill]]:
        """Every skill by name with its variants (``GET /agent``); ``repo`` is ``owner/repo``."""
        query = {
            "repo": repo,
            "sort_by": sort_by,
            "include_malformed_skills": include_malformed_skills,
        }
        return self._list_at("/agent", "agents", query, **options)

    @endpoint
    def register(
        self,
        *,
        repo: str,
        skill_path: str,
        content: str,
        worker_host: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[RegisteredSkill]:
        """Registers the ``SKILL.md`` at ``skill_path`` in ``repo`` (its text in ``content``, with
        ``name``
        and ``description`` front matter)."""
        body = compact(repo=repo, skill_path=skill_path, content=content, worker_host=worker_host)
        return self._client.request_flow("POST", "/agent/skills", body=body, **options)

    @endpoint
    def delete(self, id: str, **options: Unpack[Options]) -> Flow[None]:
        """Forgets a skill variant by its id (``owner/repo:skill_path``)."""
        return self._client.request_flow("DELETE", "/agent/skills", query={"id": id}, **options)
