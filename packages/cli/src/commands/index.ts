import type { Command } from "../command.ts";
import { agentRun, agentRunCloud } from "./agent-run.ts";
import { agentCreate, agentDelete, agentGet, agentList, agentUpdate } from "./agents.ts";
import { apiKeyCreate, apiKeyDelete, apiKeyList } from "./api-keys.ts";
import { auditExport, auditList, auditVerify } from "./audit.ts";
import { artifactDownload, artifactGet, artifactList } from "./artifacts.ts";
import {
  environmentCreate,
  environmentDelete,
  environmentGet,
  environmentList,
  environmentUpdate,
} from "./environments.ts";
import { envVarList, envVarSet, envVarUnset } from "./env-vars.ts";
import { hostList } from "./host-list.ts";
import { hostStart } from "./host-start.ts";
import { integrationDeliveries, integrationRedeliver } from "./integration-deliveries.ts";
import { integrationLink } from "./integration-link.ts";
import {
  integrationCreate,
  integrationDelete,
  integrationGet,
  integrationList,
  integrationUpdate,
} from "./integrations.ts";
import { login, logout } from "./login.ts";
import { mcpAdd, mcpGet, mcpList, mcpRemove, mcpUpdate } from "./mcp-servers.ts";
import { memberAdd, memberList, memberRemove, memberUpdate } from "./members.ts";
import { modelAdd, modelDefault, modelList, modelRemove, modelUpdate } from "./models.ts";
import { promptCreate, promptDelete, promptGet, promptList, promptUpdate } from "./prompts.ts";
import { ruleCreate, ruleDelete, ruleGet, ruleList, ruleUpdate } from "./rules.ts";
import { runCancel } from "./run-cancel.ts";
import { runCheckout } from "./run-checkout.ts";
import { runContinue } from "./run-continue.ts";
import { runConversation } from "./run-conversation.ts";
import { runFollow } from "./run-follow.ts";
import { runGet } from "./run-get.ts";
import { runList } from "./run-list.ts";
import { runLogs } from "./run-logs.ts";
import { runShare } from "./run-share.ts";
import {
  scheduleCreate,
  scheduleDelete,
  scheduleGet,
  scheduleList,
  schedulePause,
  scheduleResume,
  scheduleUpdate,
} from "./schedules.ts";
import {
  serviceAccountCreate,
  serviceAccountDelete,
  serviceAccountList,
  serviceAccountUpdate,
} from "./service-accounts.ts";
import { secretDelete, secretList, secretRotate, secretSet } from "./secrets.ts";
import { skillAdd, skillList, skillRemove } from "./skills.ts";
import { stats } from "./stats.ts";
import { usage } from "./usage.ts";
import { teamGet, teamUpdate } from "./team.ts";
import { budgetGet, budgetSet } from "./budget.ts";
import { ssoDelete, ssoGet, ssoSet } from "./sso.ts";
import {
  webhookCreate,
  webhookDeliveries,
  webhookDelete,
  webhookGet,
  webhookList,
  webhookResend,
  webhookTest,
  webhookUpdate,
} from "./webhooks.ts";
import { whoami } from "./whoami.ts";

/** Every command; a new one is a file plus a line here. */
export const COMMANDS: Command[] = [
  login,
  logout,
  whoami,
  agentRun,
  agentRunCloud,
  agentList,
  agentGet,
  agentCreate,
  agentUpdate,
  agentDelete,
  runList,
  runGet,
  runFollow,
  runLogs,
  runConversation,
  runCancel,
  runCheckout,
  runContinue,
  runShare,
  artifactList,
  artifactGet,
  artifactDownload,
  apiKeyList,
  apiKeyCreate,
  apiKeyDelete,
  serviceAccountList,
  serviceAccountCreate,
  serviceAccountUpdate,
  serviceAccountDelete,
  webhookList,
  webhookCreate,
  webhookGet,
  webhookUpdate,
  webhookDelete,
  webhookTest,
  webhookDeliveries,
  webhookResend,
  auditList,
  auditExport,
  auditVerify,
  memberList,
  memberAdd,
  memberUpdate,
  memberRemove,
  hostList,
  hostStart,
  stats,
  usage,
  scheduleList,
  scheduleGet,
  scheduleCreate,
  scheduleUpdate,
  schedulePause,
  scheduleResume,
  scheduleDelete,
  integrationList,
  integrationGet,
  integrationCreate,
  integrationUpdate,
  integrationDelete,
  integrationLink,
  integrationDeliveries,
  integrationRedeliver,
  teamGet,
  teamUpdate,
  budgetGet,
  budgetSet,
  ssoGet,
  ssoSet,
  ssoDelete,
  environmentList,
  environmentGet,
  environmentCreate,
  environmentUpdate,
  environmentDelete,
  secretList,
  secretSet,
  secretDelete,
  secretRotate,
  modelList,
  modelAdd,
  modelUpdate,
  modelDefault,
  modelRemove,
  mcpList,
  mcpGet,
  mcpAdd,
  mcpUpdate,
  mcpRemove,
  ruleList,
  ruleGet,
  ruleCreate,
  ruleUpdate,
  ruleDelete,
  promptList,
  promptGet,
  promptCreate,
  promptUpdate,
  promptDelete,
  envVarList,
  envVarSet,
  envVarUnset,
  skillList,
  skillAdd,
  skillRemove,
];

/** Other names a command answers to (Oz's and the obvious ones). */
export const ALIASES: Record<string, string[]> = {
  "agent r": ["agent", "run"],
  "run ls": ["run", "list"],
  "run attach": ["run", "follow"],
  "artifact ls": ["artifact", "list"],
  "api-key expire": ["api-key", "delete"],
  "api-key revoke": ["api-key", "delete"],
  "member set-role": ["member", "update"],
  "host ls": ["host", "list"],
  "schedule ls": ["schedule", "list"],
  "schedule rm": ["schedule", "delete"],
  "agent ls": ["agent", "list"],
  "agent skills": ["skill", "list"],
  "environment ls": ["environment", "list"],
  "env-var ls": ["env-var", "list"],
  "env-var delete": ["env-var", "unset"],
  "secret ls": ["secret", "list"],
  "secret create": ["secret", "set"],
  "secret update": ["secret", "set"],
  "model ls": ["model", "list"],
  "model delete": ["model", "remove"],
  "mcp ls": ["mcp", "list"],
  "mcp delete": ["mcp", "remove"],
  "rule ls": ["rule", "list"],
  "rule add": ["rule", "create"],
  "rule remove": ["rule", "delete"],
  "prompt ls": ["prompt", "list"],
  "prompt add": ["prompt", "create"],
  "prompt remove": ["prompt", "delete"],
  "skill ls": ["skill", "list"],
  "skill delete": ["skill", "remove"],
};
