"""``TypedDict`` shapes of the main API objects (see ``packages/protocol`` for the authoritative schemas).

Fields the API may omit are in the ``total=False`` part of each shape.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict

RunState = Literal["QUEUED", "PENDING", "CLAIMED", "INPROGRESS", "SUCCEEDED", "FAILED", "BLOCKED", "ERROR", "CANCELLED"]
TERMINAL_STATES = ("SUCCEEDED", "FAILED", "ERROR", "CANCELLED")

Role = Literal["owner", "admin", "member", "viewer"]


class PageInfo(TypedDict, total=False):
    has_next_page: bool
    next_cursor: str


class UserProfile(TypedDict, total=False):
    type: str
    uid: str
    display_name: str
    email: str
    photo_url: str


class _ScopeRequired(TypedDict):
    type: Literal["User", "Team"]


class Scope(_ScopeRequired, total=False):
    uid: str


class RunStatusMessage(TypedDict, total=False):
    message: str
    error_code: str
    retryable: bool


class ArtifactItem(TypedDict):
    """An artifact as a run lists it (``runs.artifacts``); a ``FILE``'s ``data`` has its ``artifact_uid``,
    ``filename``, ``filepath``, ``mime_type`` and ``size_bytes``; a ``PULL_REQUEST``'s its ``url`` and ``branch``."""

    artifact_type: str
    created_at: str
    data: Dict[str, Any]


class Artifact(TypedDict):
    """One artifact (``artifacts.retrieve``); a file's ``data`` carries a short-lived ``download_url``
    (with ``expires_at``), its ``content_type``, ``filename`` and ``size_bytes``."""

    artifact_uid: str
    artifact_type: str
    created_at: str
    data: Dict[str, Any]


class _RunItemRequired(TypedDict):
    run_id: str
    task_id: str
    title: str
    state: RunState
    prompt: str
    created_at: str
    updated_at: str


class RunItem(_RunItemRequired, total=False):
    started_at: Optional[str]
    run_time: str
    execution_location: str
    status_message: RunStatusMessage
    source: str
    schedule: Dict[str, str]
    session_id: str
    session_link: str
    creator: UserProfile
    executor: UserProfile
    agent_config: Dict[str, Any]
    conversation_id: str
    parent_run_id: str
    metadata: Dict[str, str]
    is_sandbox_running: bool
    is_run_type_cancellable: bool
    artifacts: List[ArtifactItem]
    scope: Scope
    sharing: Dict[str, Any]


class _RunCreatedRequired(TypedDict):
    run_id: str
    task_id: str
    state: RunState


class RunCreated(_RunCreatedRequired, total=False):
    """The answer of ``runs.create``."""

    at_capacity: bool
    sharing: Dict[str, Any]


class RunEvent(TypedDict):
    """One entry of a run's append-only event log; ``seq`` starts at 1 and never skips."""

    seq: int
    type: str
    at: str
    actor: Dict[str, Any]
    execution_id: int
    payload: Dict[str, Any]


class _ScheduledAgentItemRequired(TypedDict):
    id: str
    name: str
    cron_schedule: str
    enabled: bool
    prompt: str
    created_at: str
    updated_at: str
    timezone: str
    overlap_policy: Literal["skip", "allow", "cancel_previous"]


class ScheduledAgentItem(_ScheduledAgentItemRequired, total=False):
    mode: str
    last_spawn_error: Optional[str]
    agent_config: Dict[str, Any]
    metadata: Dict[str, str]
    created_by: UserProfile
    updated_by: UserProfile
    history: Dict[str, Any]
    scope: Scope


class Secret(TypedDict):
    """A secret as the API shows it: the value is write-only and never appears."""

    name: str
    description: Optional[str]
    type: str
    scope: Scope
    created_at: str
    updated_at: str
    created_by: Optional[str]


class _CloudEnvironmentRequired(TypedDict):
    uid: str
    config: Dict[str, Any]
    last_updated: str
    setup_failed: bool


class CloudEnvironment(_CloudEnvironmentRequired, total=False):
    last_task_run_timestamp: Optional[str]
    last_task_created: Dict[str, Any]
    scope: Scope
    creator: UserProfile
    last_editor: UserProfile


class TeamLimits(TypedDict):
    max_concurrent_runs: int
    max_run_time_seconds: int


class TeamCaller(TypedDict):
    uid: str
    type: str
    role: Role


class Team(TypedDict):
    uid: str
    name: str
    created_at: str
    member_count: int
    limits: TeamLimits
    caller: TeamCaller


class BudgetPeriod(TypedDict):
    start: str
    resets_at: str


class BudgetSpent(TypedDict):
    team_usd: float
    member_usd: float
    reserved_usd: float


class MemberBudget(TypedDict):
    """One member's spend this month against their monthly budget. ``source``: ``member`` (their
    own), ``team`` (the team's ``member_monthly_usd``) or ``None`` (no budget)."""

    member_id: str
    type: Literal["user", "service_account"]
    email: Optional[str]
    name: Optional[str]
    monthly_usd: Optional[float]
    source: Optional[Literal["member", "team"]]
    spent_usd: float
    percent: Optional[float]
    resets_at: str


class TeamBudget(TypedDict):
    monthly_usd: Optional[float]
    member_monthly_usd: Optional[float]
    run_max_cost_usd: Optional[float]
    period: BudgetPeriod
    spent: BudgetSpent
    thresholds: List[int]
    members: List[MemberBudget]


class Member(TypedDict):
    uid: str
    type: Literal["user", "service_account"]
    email: str
    display_name: Optional[str]
    role: Role
    joined_at: str


class ApiKey(TypedDict):
    uid: str
    name: str
    prefix: str
    role: Role
    principal: Dict[str, str]
    scopes: List[str]
    pools: Optional[List[str]]
    agent_uid: Optional[str]
    personal_access: bool
    created_at: str
    expires_at: Optional[str]
    last_used_at: Optional[str]
    revoked_at: Optional[str]


class ServiceAccount(TypedDict):
    """A non-human member (CI, an integration, hosts) with a role and keys of its own."""

    uid: str
    type: Literal["service_account"]
    name: str
    description: Optional[str]
    role: Role
    created_by: Optional[str]
    created_at: str


class CreatedApiKey(ApiKey):
    """``api_keys.create``'s answer: ``key`` is the secret, shown only here."""

    key: str


class HostCli(TypedDict):
    """A vendor agent CLI on a host; ``in_tested_range`` is false outside the tested minor."""

    name: str
    version: str
    tested: str
    in_tested_range: bool


class HostInfo(TypedDict):
    worker_id: str
    connection_id: str
    capacity: int
    running: List[str]
    labels: List[str]
    version: Optional[str]
    clis: List[HostCli]
    connected_at: str
    last_seen_at: str


class SecretsKeyRotation(TypedDict):
    rewrapped: bool
    key_id: str


class Rule(TypedDict):
    uid: str
    name: str
    content: str
    enabled: bool
    created_at: str
    updated_at: str


class SavedPrompt(TypedDict):
    uid: str
    name: str
    prompt: str
    description: Optional[str]
    created_at: str
    updated_at: str


class EnvVar(TypedDict):
    name: str
    value: str
    description: Optional[str]
    created_at: str
    updated_at: str


class McpServer(TypedDict):
    uid: str
    name: str
    description: Optional[str]
    config: Dict[str, Any]
    created_at: str
    updated_at: str


class _ModelInfoRequired(TypedDict):
    id: str
    display_name: str
    provider: str
    vision_supported: bool
    api: Literal["openai", "anthropic"]
    model: str
    base_url: Optional[str]
    api_key_secret: Optional[str]
    is_default: bool


class ModelInfo(_ModelInfoRequired, total=False):
    description: str
    reasoning_level: str


class ModelList(TypedDict):
    default_model_id: str
    models: List[ModelInfo]


class SignUp(TypedDict):
    """``Ambit.sign_up``'s answer: the new team, its owner, and the owner's API key (shown only here)."""

    team: Dict[str, str]
    user: Dict[str, str]
    api_key: str


class _AgentIdentityRequired(TypedDict):
    uid: str
    name: str
    available: bool
    created_at: str
    updated_at: str
    secrets: List[Dict[str, str]]
    skills: List[str]
    memory: Dict[str, Any]
    default_runner_uid: Optional[str]


class AgentIdentity(_AgentIdentityRequired, total=False):
    """Oz ``AgentResponse``: a named agent and its run defaults."""

    description: Optional[str]
    prompt: Optional[str]
    environment_id: str
    base_model: str
    harness: Dict[str, str]
    credential_strategy: Literal["CREATOR", "EXECUTOR"]
    harness_auth_secrets: Dict[str, str]
    mcp_servers: Dict[str, Any]
    on_behalf_of_enabled: bool
    worker_host: str
    agent_type: str
    factory_uid: Optional[str]


class _SkillVariantRequired(TypedDict):
    id: str
    description: str
    base_prompt: str
    source: Dict[str, str]
    environments: List[Dict[str, str]]


class SkillVariant(_SkillVariantRequired, total=False):
    last_run_timestamp: Optional[str]
    error: str


class AgentSkill(TypedDict):
    """Oz ``AgentSkill``: one skill name and its variants."""

    name: str
    variants: List[SkillVariant]


class RegisteredSkill(TypedDict):
    id: str
    name: Optional[str]
    error: Optional[str]


StatsGroupBy = Literal["day", "source", "model", "environment", "creator", "state"]


class DurationPercentiles(TypedDict):
    """Nearest-rank percentiles of a duration (milliseconds) over ``count`` runs; ``None`` when
    no run has it."""

    count: int
    p50: Optional[int]
    p95: Optional[int]


class RunStatsBucket(TypedDict):
    key: Optional[str]
    """The day (``YYYY-MM-DD`` in ``tz``) or the group's value; ``None``: runs without one."""
    total: int
    by_state: Dict[RunState, int]
    success_rate: Optional[float]


class FailureReason(TypedDict):
    error_code: Optional[str]
    message: Optional[str]
    count: int


# "from" is a Python keyword, which the class syntax cannot name: the functional one can
_RunStatsFrom = TypedDict("_RunStatsFrom", {"from": str})


class RunStats(_RunStatsFrom):
    """``stats.runs``'s answer: the runs the caller can see, created in [``from``, ``to``) (the
    resolved range: ``stats["from"]``, ``stats["to"]``)."""

    to: str
    tz: str
    group_by: StatsGroupBy
    total: int
    by_state: Dict[RunState, int]
    """Every state, 0 included."""
    success_rate: Optional[float]
    """SUCCEEDED ÷ (SUCCEEDED + FAILED + ERROR), CANCELLED left out; ``None`` if none."""
    run_time_ms: DurationPercentiles
    queue_time_ms: DurationPercentiles
    failure_reasons: List[FailureReason]
    series: List[RunStatsBucket]
    series_truncated: bool


UsageGroupBy = Literal["day", "member", "model", "source", "environment", "schedule"]


class UsageCostBreakdown(TypedDict):
    input_cost_usd: float
    input_cache_read_cost_usd: float
    input_cache_write_cost_usd: float
    output_cost_usd: float


class UsageTokens(TypedDict):
    input: int
    """Uncached input."""
    output: int
    input_cache_read: int
    input_cache_write: int
    total: int


class UsageTotals(TypedDict):
    cost_usd: float
    cost_breakdown_usd: UsageCostBreakdown
    tokens: UsageTokens
    model_calls: int
    """Model calls the gateway recorded in the range."""
    failed_model_calls: int
    """Of which the provider answered with an error."""
    runs: int
    """Runs created in the range."""
    compute_time_ms: int


class UsageBucket(UsageTotals):
    key: Optional[str]
    """The day (``YYYY-MM-DD`` in ``tz``) or the group's value; ``None``: without one."""


_UsageReportFrom = TypedDict("_UsageReportFrom", {"from": str})


class UsageReport(_UsageReportFrom):
    """``stats.usage``'s answer: what the team spent in [``from``, ``to``)."""

    to: str
    tz: str
    group_by: UsageGroupBy
    total: UsageTotals
    series: List[UsageBucket]
    series_truncated: bool


class MeUser(TypedDict):
    uid: str
    name: Optional[str]
    email: str


class MeTeam(TypedDict):
    uid: str
    name: str


class Me(TypedDict):
    """``me.retrieve``'s answer: who the caller is."""

    user: Optional[MeUser]
    """``None`` for a service account."""
    team: MeTeam
    role: Role
    """The role this credential acts with now (never above the member's role)."""
    personal: bool
    """Whether it reaches the user's personal runs and secrets (not for a key someone else
    minted)."""
    via: Literal["session", "api_key"]


class WebSession(TypedDict):
    """A web console session of the caller (only its uid: its token is never shown again)."""

    uid: str
    created_at: str
    last_seen_at: str
    expires_at: str
    user_agent: Optional[str]
    current: bool
    """Whether this request came with this session."""
