from __future__ import annotations

from typing import Optional, cast

from .._client import path_of
from ..types import ModelInfo, ModelList
from ._base import APIResource, compact


class Models(APIResource):
    """``client.agent.models``: the team's model catalog (which API, where, which secret holds the key)."""

    def list(self, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> ModelList:
        """``{default_model_id, models}``."""
        return cast(ModelList, self._client.request("GET", "/agent/models", timeout=timeout, max_retries=max_retries))

    def create(
        self,
        *,
        id: str,
        provider: str,
        model: str,
        display_name: Optional[str] = None,
        base_url: Optional[str] = None,
        api_key_secret: Optional[str] = None,
        vision_supported: Optional[bool] = None,
        description: Optional[str] = None,
        reasoning_level: Optional[str] = None,
        default: Optional[bool] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ModelInfo:
        """Adds a model: ``provider`` ``openai`` (any OpenAI-compatible server) or ``anthropic``; ``model`` is the provider's name for it."""
        body = compact(
            id=id, provider=provider, model=model, display_name=display_name, base_url=base_url, api_key_secret=api_key_secret,
            vision_supported=vision_supported, description=description, reasoning_level=reasoning_level, default=default,
        )
        return cast(ModelInfo, self._client.request("POST", "/agent/models", body=body, timeout=timeout, max_retries=max_retries))

    def update(
        self,
        id: str,
        *,
        provider: str,
        model: str,
        display_name: Optional[str] = None,
        base_url: Optional[str] = None,
        api_key_secret: Optional[str] = None,
        vision_supported: Optional[bool] = None,
        description: Optional[str] = None,
        reasoning_level: Optional[str] = None,
        default: Optional[bool] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ModelInfo:
        """Replaces the model's entry (``PUT``)."""
        body = compact(
            provider=provider, model=model, display_name=display_name, base_url=base_url, api_key_secret=api_key_secret,
            vision_supported=vision_supported, description=description, reasoning_level=reasoning_level, default=default,
        )
        return cast(ModelInfo, self._client.request("PUT", path_of("/agent/models/{}", id), body=body, timeout=timeout, max_retries=max_retries))

    def delete(self, id: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None) -> None:
        self._client.request("DELETE", path_of("/agent/models/{}", id), timeout=timeout, max_retries=max_retries)
