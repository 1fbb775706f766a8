from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union, cast

from .._client import QueryValue, path_of
from .._errors import RunWaitTimeoutError
from .._pagination import Page, Paginator
from .._run_stream import RunStream
from ..types import TERMINAL_STATES, ArtifactItem, RunCreated, RunEvent, RunItem
from ._base import APIResource, compact


class Runs(APIResource):
    """``client.agent.runs``: create, find, steer and watch agent runs."""

    def create(
        self,
        *,
        prompt: Optional[str] = None,
        title: Optional[str] = None,
        config: Optional[Mapping[str, Any]] = None,
        mode: Optional[str] = None,
        skill: Optional[str] = None,
        team: Optional[bool] = None,
        metadata: Optional[Mapping[str, str]] = None,
        agent_identity_uid: Optional[str] = None,
        conversation_id: Optional[str] = None,
        parent_run_id: Optional[str] = None,
        saved_prompt: Optional[str] = None,
        interactive: Optional[bool] = None,
        execution_location: Optional[str] = None,
        sharing: Optional[Mapping[str, str]] = None,
        attachments: Optional[Sequence[Mapping[str, str]]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> RunCreated:
        """Creates a run (``POST /agent/runs``); it starts ``QUEUED``.

        An ``Idempotency-Key`` is sent (generated unless given) and kept across retries, so a retried
        create never makes a second run.
        """
        body = compact(
            prompt=prompt, title=title, config=config, mode=mode, skill=skill, team=team, metadata=metadata,
            agent_identity_uid=agent_identity_uid, conversation_id=conversation_id, parent_run_id=parent_run_id,
            saved_prompt=saved_prompt, interactive=interactive, execution_location=execution_location,
            sharing=sharing, attachments=attachments,
        )
        body.update(extra_body or {})
        return cast(RunCreated, self._client.request(
            "POST", "/agent/runs", body=body, idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries
        ))

    def list(
        self,
        *,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
        sort_by: Optional[str] = None,
        sort_order: Optional[str] = None,
        state: Union[str, Sequence[str], None] = None,
        source: Optional[str] = None,
        execution_location: Optional[str] = None,
        creator: Optional[str] = None,
        name: Optional[str] = None,
        config_name: Optional[str] = None,
        model_id: Optional[str] = None,
        environment_id: Optional[str] = None,
        schedule_id: Optional[str] = None,
        skill: Optional[str] = None,
        skill_spec: Optional[str] = None,
        artifact_type: Optional[str] = None,
        created_after: Optional[str] = None,
        created_before: Optional[str] = None,
        updated_after: Optional[str] = None,
        q: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Paginator[RunItem]:
        """Lists runs (every filter of ``GET /agent/runs``), lazily across pages.

        ``state`` is one state or several; ``metadata`` pairs are ANDed (``metadata[key]=value``).
        ``for run in client.agent.runs.list(state="FAILED")`` walks every page;
        ``.first_page()`` answers one.
        """
        query: Dict[str, QueryValue] = {
            "limit": limit, "sort_by": sort_by, "sort_order": sort_order,
            "state": [state] if isinstance(state, str) else state,
            "source": source, "execution_location": execution_location, "creator": creator, "name": name, "config_name": config_name,
            "model_id": model_id, "environment_id": environment_id, "schedule_id": schedule_id, "skill": skill,
            "skill_spec": skill_spec, "artifact_type": artifact_type, "created_after": created_after,
            "created_before": created_before, "updated_after": updated_after, "q": q, "metadata": metadata,
        }

        def fetch(page_cursor: Optional[str]) -> Page[RunItem]:
            body: Dict[str, Any] = self._client.request(
                "GET", "/agent/runs", query={**query, "cursor": page_cursor}, timeout=timeout, max_retries=max_retries
            )
            return Page(cast(List[RunItem], body["runs"]), body["page_info"], body)

        return Paginator(fetch, cursor)

    def retrieve(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> RunItem:
        """One run with its resolved config, status message and artifacts."""
        return cast(RunItem, self._client.request("GET", path_of("/agent/runs/{}", run_id), timeout=timeout, max_retries=max_retries))

    def artifacts(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[ArtifactItem]:
        """The run's artifacts in the order they were made (as ``retrieve`` carries them); a file's
        ``data["artifact_uid"]`` is what ``client.agent.artifacts.retrieve`` and ``download`` take."""
        return list(self.retrieve(run_id, timeout=timeout, max_retries=max_retries).get("artifacts", []))

    def cancel(
        self, run_id: str, *, idempotency_key: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> str:
        """Cancels a run in any non-terminal state; answers the run id."""
        return cast(str, self._client.request(
            "POST", path_of("/agent/runs/{}/cancel", run_id), idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries
        ))

    def followup(
        self,
        run_id: str,
        *,
        message: str,
        mode: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Sends a follow-up (needs EDITOR access): to the live agent, waking a BLOCKED run, or as a new execution of an ended one."""
        result: Optional[Dict[str, Any]] = self._client.request(
            "POST", path_of("/agent/runs/{}/followups", run_id), body=compact(message=message, mode=mode),
            idempotency_key=idempotency_key, timeout=timeout, max_retries=max_retries,
        )
        return result or {}

    def events(
        self, run_id: str, *, after: int = 0, limit: Optional[int] = None, timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """One page of the run's event log after ``after``: ``{events, last_seq, has_more}`` (not live; see ``stream``)."""
        result: Dict[str, Any] = self._client.request(
            "GET", path_of("/agent/runs/{}/events", run_id), query={"after": after, "limit": limit}, timeout=timeout
        )
        return result

    def share(
        self, run_id: str, *, team: Optional[str] = None, public: Optional[str] = None, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> Dict[str, Any]:
        """Changes who besides its creator sees and steers the run: ``team`` NONE | VIEWER | EDITOR, ``public`` NONE | VIEWER."""
        result: Dict[str, Any] = self._client.request(
            "PATCH", path_of("/agent/runs/{}/sharing", run_id), body=compact(team=team, public=public), timeout=timeout, max_retries=max_retries
        )
        return result

    def conversation(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Dict[str, Any]:
        """The run's normalized conversation (Oz ``ConversationResponse``)."""
        result: Dict[str, Any] = self._client.request("GET", path_of("/agent/runs/{}/conversation", run_id), timeout=timeout, max_retries=max_retries)
        return result

    def timeline(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Dict[str, Any]:
        """Lifecycle milestones with timings: ``{events: [...]}``."""
        result: Dict[str, Any] = self._client.request("GET", path_of("/agent/runs/{}/timeline", run_id), timeout=timeout, max_retries=max_retries)
        return result

    def transcript(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> List[RunEvent]:
        """The whole event log (read as NDJSON), one event per entry."""
        text: Optional[str] = self._client.request(
            "GET", path_of("/agent/runs/{}/transcript", run_id), headers={"accept": "application/x-ndjson"}, timeout=timeout, max_retries=max_retries
        )
        return [cast(RunEvent, json.loads(line)) for line in (text or "").splitlines() if line.strip()]

    def session_token(self, run_id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Dict[str, Any]:
        """A short-lived attach token for ``/session`` and ``/events`` (for clients that cannot send headers):
        ``{token, access, expires_at, session_url, events_url}``."""
        result: Dict[str, Any] = self._client.request(
            "POST", path_of("/agent/runs/{}/session-token", run_id), timeout=timeout, max_retries=max_retries
        )
        return result

    def stream(
        self,
        run_id: str,
        *,
        after: int = 0,
        until_terminal: bool = True,
        max_reconnects: int = 10,
        timeout: Optional[float] = None,
    ) -> RunStream:
        """The run's events live over Server-Sent Events: those after ``after``, then new ones.

        Reconnects after a dropped connection from the last seq seen (no gap, no duplicate); ends
        once the run is terminal (unless ``until_terminal=False``). ``timeout`` (default: the
        client's) is also how long a silent connection is kept before it is reopened; a reopen is
        harmless. ``max_reconnects`` consecutive failed reconnects raise the last error.
        """
        return RunStream(self._client, run_id, after=after, until_terminal=until_terminal, max_reconnects=max_reconnects, timeout=timeout)

    def wait(self, run_id: str, *, timeout: Optional[float] = None, poll_interval: float = 1.0) -> RunItem:
        """Polls the run until it is SUCCEEDED, FAILED, ERROR or CANCELLED and answers it.

        Raises ``RunWaitTimeoutError`` (a ``TimeoutError``) after ``timeout`` seconds (None: no limit).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            run = self.retrieve(run_id)
            if run["state"] in TERMINAL_STATES:
                return run
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RunWaitTimeoutError(f"run {run_id} still {run['state']} after {timeout} s", run)
                time.sleep(min(interval, left))
            else:
                time.sleep(interval)
            interval = min(interval * 1.5, 5.0)


__all__ = ["Runs", "RunEvent"]
