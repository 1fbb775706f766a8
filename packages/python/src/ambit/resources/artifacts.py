from __future__ import annotations

from typing import Optional, cast
from urllib.parse import urljoin

from .._client import path_of
from .._errors import AmbitError
from ..types import Artifact
from ._base import APIResource

MAX_REDIRECTS = 5


class Artifacts(APIResource):
    """``client.agent.artifacts``: what runs produced (files, pull requests, external references).

    A run lists its artifacts (``client.agent.runs.artifacts(run_id)``); a file's ``data`` carries its
    ``artifact_uid``.
    """

    def retrieve(self, artifact_uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> Artifact:
        """One artifact (``GET /agent/artifacts/{uid}``); a file comes with a short-lived ``data["download_url"]``."""
        return cast(Artifact, self._client.request(
            "GET", path_of("/agent/artifacts/{}", artifact_uid), timeout=timeout, max_retries=max_retries
        ))

    def download(self, artifact_uid: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> bytes:
        """A file artifact's bytes: ``GET /agent/artifacts/{uid}/download``, then the signed link it redirects to.

        The API key is sent to the API only, never to the link. An artifact without a file (a pull
        request) raises ``BadRequestError``; a refused link an ``APIError`` too.
        """
        response, conn = self._client.open(
            "GET", path_of("/agent/artifacts/{}/download", artifact_uid), headers={"accept": "*/*"},
            timeout=timeout, max_retries=max_retries, redirects=True,
        )
        url = self._client.build_url(path_of("/agent/artifacts/{}/download", artifact_uid))
        for _ in range(MAX_REDIRECTS):
            if not 300 <= response.status < 400:
                return self._client.read_body(response, conn, timeout=timeout)
            location = response.getheader("location")
            self._client.read_body(response, conn, timeout=timeout)
            if not location:
                raise AmbitError(f"{response.status} without a Location from {url}")
            url = urljoin(url, location)
            response, conn = self._client.open_url(url, timeout=timeout, max_retries=max_retries)
        raise AmbitError(f"more than {MAX_REDIRECTS} redirects downloading artifact {artifact_uid}")
