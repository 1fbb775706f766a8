from __future__ import annotations

import json
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    TypedDict,
    Union,
    overload,
)

from .._async import AsyncClient
from .._client import QueryValue, path_of
from .._errors import RunWaitTimeoutError
from .._flow import Flow, Sleep
from .._pagination import FetchPage, Page
from .._run_stream import AsyncRunStream, RunStream
from .._sync import SyncClient
from ..types import TERMINAL_STATES, ArtifactItem, RunCreated, RunEvent, RunItem
from ._base import APIResource, C, Options, PostOptions, endpoint, paginated, split_params

if TYPE_CHECKING:
    from typing_extensions import Unpack


class RunCreateParams(PostOptions, total=False):
    """The body of ``POST /agent/runs`` (every field optional; a ``prompt``, ``skill`` or
    ``saved_prompt`` is needed)."""

    prompt: str
    title: str
    config: Mapping[str, Any]
    """``environment_id``, ``model_id``, ``worker_host``, ``mcp_servers``, …"""
    mode: str
    skill: str
    team: bool
    metadata: Mapping[str, str]
    agent_identity_uid: str
    conversation_id: str
    parent_run_id: str
    saved_prompt: str
    interactive: bool
    execution_location: str
    sharing: Mapping[str, str]
    attachments: Sequence[Mapping[str, str]]
    extra_body: Mapping[str, Any]
    """Fields this SDK does not name yet, merged into the body."""


def create_run_flow(
    resource: APIResource[Any], path: str, params: RunCreateParams
) -> Flow[RunCreated]:
    """``POST path`` with a run's fields; shared by ``runs.create`` and the legacy ``agent.run``."""
    body, options = split_params(params)
    client = resource._client  # pyright: ignore[reportPrivateUsage]
    return client.request_flow("POST", path, body=body, **options)


class StreamOptions(TypedDict, total=False):
    """``stream``'s options: see its docstring."""

    after: int
    until_terminal: bool
    max_reconnects: int
    timeout: Optional[float]


class Runs(APIResource[C]):
    """``client.agent.runs``: create, find, steer and watch agent runs."""

    @endpoint
    def create(self, **params: Unpack[RunCreateParams]) -> Flow[RunCreated]:
        """Creates a run (``POST /agent/runs``); it starts ``QUEUED``.

        An ``Idempotency-Key`` is sent (generated unless given) and kept across retries, so a
        retried
        create never makes a second run.
        """
        return create_run_flow(self, "/agent/runs", params)

    @paginated
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
        **options: Unpack[Options],
    ) -> FetchPage[RunItem]:
        """Lists runs (every filter of ``GET /agent/runs``), lazily across pages.

        ``state`` is one state or several; ``metadata`` pairs are ANDed (``metadata[key]=value``).
        ``for run in client.agent.runs.list(state="FAILED")`` walks every page (``async for`` with
        ``AsyncAmbit``); ``.first_page()`` answers one.
        """
        query: Dict[str, QueryValue] = {
            "limit": limit,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "state": [state] if isinstance(state, str) else state,
            "source": source,
            "execution_location": execution_location,
            "creator": creator,
            "name": name,
            "config_name": config_name,
            "model_id": model_id,
            "environment_id": environment_id,
            "schedule_id": schedule_id,
            "skill": skill,
            "skill_spec": skill_spec,
            "artifact_type": artifact_type,
            "created_after": created_after,
            "created_before": created_before,
            "updated_after": updated_after,
            "q": q,
            "metadata": metadata,
        }

        def fetch(page_cursor: Optional[str]) -> Flow[Page[RunItem]]:
            body = yield from self._client.request_flow(
                "GET", "/agent/runs", query={**query, "cursor": page_cursor or cursor}, **options
            )
            return Page(body["runs"], body["page_info"], body)

        return fetch

    @endpoint
    def retrieve(self, run_id: str, **options: Unpack[Options]) -> Flow[RunItem]:
        """One run with its resolved config, status message and artifacts."""
        return self._client.request_flow("GET", path_of("/agent/runs/{}", run_id), **options)

    @endpoint
    def artifacts(self, run_id: str, **options: Unpack[Options]) -> Flow[List[ArtifactItem]]:
        """The run's artifacts in the order they were made (as ``retrieve`` carries them); a file's
        ``data["artifact_uid"]`` is what ``client.agent.artifacts.retrieve`` and ``download`` take.
        """
        run = yield from Runs.retrieve.flow(self, run_id, **options)
        return list(run.get("artifacts", []))

    @endpoint
    def cancel(self, run_id: str, **options: Unpack[PostOptions]) -> Flow[str]:
        """Cancels a run in any non-terminal state; answers the run id."""
        return self._client.request_flow(
            "POST", path_of("/agent/runs/{}/cancel", run_id), **options
        )

    @endpoint
    def followup(
        self,
        run_id: str,
        *,
        message: str,
        mode: Optional[str] = None,
        **options: Unpack[PostOptions],
    ) -> Flow[Dict[str, Any]]:
        """Sends a follow-up (needs EDITOR access): to the live agent, waking a BLOCKED run, or as
        a new
        execution of an ended one."""
        body = {"message": message, **({"mode": mode} if mode else {})}
        result = yield from self._client.request_flow(
            "POST", path_of("/agent/runs/{}/followups", run_id), body=body, **options
        )
        return result or {}

    @endpoint
    def events(
        self,
        run_id: str,
        *,
        after: int = 0,
        limit: Optional[int] = None,
        **options: Unpack[Options],
    ) -> Flow[Dict[str, Any]]:
        """One page of the run's event log after ``after``: ``{events, last_seq, has_more}`` (not
        live;
        see ``stream``)."""
        return self._client.request_flow(
            "GET",
            path_of("/agent/runs/{}/events", run_id),
            query={"after": after, "limit": limit},
            **options,
        )

    @endpoint
    def share(
        self,
        run_id: str,
        *,
        team: Optional[str] = None,
        public: Optional[str] = None,
        **options: Unpack[Options],
    ) -> Flow[Dict[str, Any]]:
        """Changes who besides its creator sees and steers the run: ``team`` NONE | VIEWER | EDITOR,
        ``public`` NONE | VIEWER."""
        body = {k: v for k, v in (("team", team), ("public", public)) if v is not None}
        return self._client.request_flow(
            "PATCH", path_of("/agent/runs/{}/sharing", run_id), body=body, **options
        )

    @endpoint
    def conversation(self, run_id: str, **options: Unpack[Options]) -> Flow[Dict[str, Any]]:
        """The run's normalized conversation (Oz ``ConversationResponse``)."""
        return self._client.request_flow(
            "GET", path_of("/agent/runs/{}/conversation", run_id), **options
        )

    @endpoint
    def timeline(self, run_id: str, **options: Unpack[Options]) -> Flow[Dict[str, Any]]:
        """Lifecycle milestones with timings: ``{events: [...]}``."""
        return self._client.request_flow(
            "GET", path_of("/agent/runs/{}/timeline", run_id), **options
        )

    @endpoint
    def transcript(self, run_id: str, **options: Unpack[Options]) -> Flow[List[RunEvent]]:
        """The whole event log (read as NDJSON), one event per entry."""
        text = yield from self._client.request_flow(
            "GET",
            path_of("/agent/runs/{}/transcript", run_id),
            headers={"accept": "application/x-ndjson"},
            **options,
        )
        return [json.loads(line) for line in str(text or "").splitlines() if line.strip()]

    @endpoint
    def session_token(self, run_id: str, **options: Unpack[PostOptions]) -> Flow[Dict[str, Any]]:
        """A short-lived attach token for ``/session`` and ``/events`` (for clients that cannot send
        headers): ``{token, access, expires_at, session_url, events_url}``."""
        return self._client.request_flow(
            "POST", path_of("/agent/runs/{}/session-token", run_id), **options
        )

    @endpoint
    def wait(
        self, run_id: str, *, timeout: Optional[float] = None, poll_interval: float = 1.0
    ) -> Flow[RunItem]:
        """Polls the run until it is SUCCEEDED, FAILED, ERROR or CANCELLED and answers it.

        Raises ``RunWaitTimeoutError`` (a ``TimeoutError``) after ``timeout`` seconds (None: no
        limit).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = poll_interval
        while True:
            run = yield from Runs.retrieve.flow(self, run_id)
            if run["state"] in TERMINAL_STATES:
                return run
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise RunWaitTimeoutError(
                    f"run {run_id} still {run['state']} after {timeout} s", run
                )
            yield Sleep(interval if left is None else min(interval, left))
            interval = min(interval * 1.5, 5.0)

    @overload
    def stream(self: Runs[SyncClient], run_id: str, **options: Unpack[StreamOptions]) -> RunStream:
        ...

    @overload
    def stream(
        self: Runs[AsyncClient], run_id: str, **options: Unpack[StreamOptions]
    ) -> AsyncRunStream:
        ...

    def stream(
        self, run_id: str, **options: Unpack[StreamOptions]
    ) -> Union[RunStream, AsyncRunStream]:
        """The run's events live over Server-Sent Events: those after ``after`` (default 0), then
        new ones.

        Reconnects after a dropped connection from the last seq seen (no gap, no duplicate); ends
        once the run is terminal (unless ``until_terminal=False``). ``timeout`` (default: the
        client's) is also how long a silent connection is kept before it is reopened; a reopen is
        harmless. ``max_reconnects`` (default 10) consecutive failed reconnects raise the last
        error.
        """
        client = self._client
        if isinstance(client, AsyncClient):
            return AsyncRunStream(client, run_id, **options)
        assert isinstance(client, SyncClient)
        return RunStream(client, run_id, **options)


__all__ = ["Runs", "RunEvent", "RunCreateParams", "StreamOptions", "create_run_flow"]
