"""Python client for the Ambit API.

    from ambit import Ambit
    client = Ambit()  # AMBIT_API_KEY, AMBIT_BASE_URL
    run = client.agent.runs.create(prompt="Fix the flaky test")
    print(client.agent.runs.wait(run["run_id"])["state"])

``AsyncAmbit`` is the same client for asyncio (``await client.agent.runs.create(...)``).
"""

from __future__ import annotations

from ._ambit import Agent, Ambit, AsyncAmbit
from ._client import RawResponse
from ._errors import (
    AmbitError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RunWaitTimeoutError,
    StreamDisconnected,
    UnprocessableEntityError,
)
from ._pagination import AsyncPaginator, Page, Paginator
from ._run_stream import AsyncRunStream, RunStream
from .resources.audit_log import audit_entry_hash, verify_audit_chain

__version__ = "0.1.0"

__all__ = [
    "audit_entry_hash",
    "verify_audit_chain",
    "Ambit",
    "AsyncAmbit",
    "Agent",
    "RawResponse",
    "Page",
    "Paginator",
    "AsyncPaginator",
    "RunStream",
    "AsyncRunStream",
    "AmbitError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RunWaitTimeoutError",
    "StreamDisconnected",
    "UnprocessableEntityError",
]
