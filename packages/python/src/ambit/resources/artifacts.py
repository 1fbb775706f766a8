from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from .._client import path_of
from .._errors import AmbitError
from .._flow import Flow, ReadAll
from ..types import Artifact
from ._base import APIResource, C, Options, endpoint

if TYPE_CHECKING:
    from typing_extensions import Unpack

MAX_REDIRECTS = 5


class Artifacts(APIResource[C]):
    """``client.agent.artifacts``: what runs produced (files, pull requests, external references).

    A run lists its artifacts (``client.agent.runs.artifacts(run_id)``); a file's ``data`` carries
    its
    ``artifact_uid``.
    """

    @endpoint
    def retrieve(self, artifact_uid: str, **options: Unpack[Options]) -> Flow[Artifact]:
        """One artifact (``GET /agent/artifacts/{uid}``); a file comes with a short-lived
        ``data["download_url"]``."""
        return self._client.request_flow(
            "GET", path_of("/agent/artifacts/{}", artifact_uid), **options
        )

    @endpoint
    def download(self, artifact_uid: str, **options: Unpack[Options]) -> Flow[bytes]:
        """A file artifact's bytes: ``GET /agent/artifacts/{uid}/download``, then the signed link
        it redirects to.

        The API key is sent to the API only, never to the link. An artifact without a file (a pull
        request) raises ``BadRequestError``; a refused link an ``APIError`` too.
        """
        client = self._client
        seconds = client.effective_timeout(options.get("timeout"))
        request = client.prepare(
            "GET", path_of("/agent/artifacts/{}/download", artifact_uid), headers={"accept": "*/*"}
        )
        response = yield from client.send_flow(request, redirects=True, **options)
        for _ in range(MAX_REDIRECTS):
            if not 300 <= response.status < 400:
                data: bytes = yield ReadAll(response, seconds)
                return data
            yield ReadAll(response, seconds)  # drained, so the server sees a clean close
            location = response.headers.get("location")
            if not location:
                raise AmbitError(f"{response.status} without a Location from {request.url}")
            request = client.prepare_url(urljoin(request.url, location))
            response = yield from client.send_flow(request, **options)
        raise AmbitError(f"more than {MAX_REDIRECTS} redirects downloading artifact {artifact_uid}")
