from __future__ import annotations

from typing import TYPE_CHECKING

from .._client import path_of
from .._flow import Flow
from ..types import ModelInfo, ModelList
from ._base import APIResource, C, Options, PostOptions, endpoint, split_params

if TYPE_CHECKING:
    from typing_extensions import Required, Unpack


class ModelFields(Options, total=False):
    """A model's entry: ``provider`` ``openai`` (any OpenAI-compatible server) or ``anthropic``;
    ``model`` is the provider's name for it."""

    provider: Required[str]
    model: Required[str]
    display_name: str
    base_url: str
    api_key_secret: str
    """The name of the secret holding the provider's API key."""
    vision_supported: bool
    description: str
    reasoning_level: str
    default: bool
    """Make it the team's default model."""


class NewModel(ModelFields, PostOptions, total=False):
    id: Required[str]


class Models(APIResource[C]):
    """``client.agent.models``: the team's model catalog (which API, where, which secret holds the
    key)."""

    @endpoint
    def list(self, **options: Unpack[Options]) -> Flow[ModelList]:
        """``{default_model_id, models}``."""
        return self._client.request_flow("GET", "/agent/models", **options)

    @endpoint
    def create(self, **fields: Unpack[NewModel]) -> Flow[ModelInfo]:
        """Adds a model."""
        body, options = split_params(fields)
        return self._client.request_flow("POST", "/agent/models", body=body, **options)

    @endpoint
    def update(self, id: str, **fields: Unpack[ModelFields]) -> Flow[ModelInfo]:
        """Replaces the model's entry (``PUT``)."""
        body, options = split_params(fields)
        return self._client.request_flow(
            "PUT", path_of("/agent/models/{}", id), body=body, **options
        )

    @endpoint
    def delete(self, id: str, **options: Unpack[Options]) -> Flow[None]:
        return self._client.request_flow("DELETE", path_of("/agent/models/{}", id), **options)
