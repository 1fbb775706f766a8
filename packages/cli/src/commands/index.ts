import type { Command } from "../command.ts";
import { agentRun, agentRunCloud } from "./agent-run.ts";
import { apiKeyCreate, apiKeyDelete, apiKeyList } from "./api-keys.ts";
import { hostList } from "./host-list.ts";
import { hostStart } from "./host-start.ts";
import { login, logout } from "./login.ts";
import { memberAdd, memberList, memberRemove, memberUpdate } from "./members.ts";
import { runCancel } from "./run-cancel.ts";
import { runConversation } from "./run-conversation.ts";
import { runFollow } from "./run-follow.ts";
import { runGet } from "./run-get.ts";
import { runList } from "./run-list.ts";
import { runLogs } from "./run-logs.ts";
import { scheduleCreate, scheduleDelete, scheduleGet, scheduleList, schedulePause, scheduleResume, scheduleUpdate } from "./schedules.ts";
import { whoami } from "./whoami.ts";

/** Every command; a new one is a file plus a line here. */
export const COMMANDS: Command[] = [
  login,
  logout,
  whoami,
  agentRun,
  agentRunCloud,
  runList,
  runGet,
  runFollow,
  runLogs,
  runConversation,
  runCancel,
  apiKeyList,
  apiKeyCreate,
  apiKeyDelete,
  memberList,
  memberAdd,
  memberUpdate,
  memberRemove,
  hostList,
  hostStart,
  scheduleList,
  scheduleGet,
  scheduleCreate,
  scheduleUpdate,
  schedulePause,
  scheduleResume,
  scheduleDelete,
];

/** Other names a command answers to (Oz's and the obvious ones). */
export const ALIASES: Record<string, string[]> = {
  "agent r": ["agent", "run"],
  "run ls": ["run", "list"],
  "run attach": ["run", "follow"],
  "api-key expire": ["api-key", "delete"],
  "api-key revoke": ["api-key", "delete"],
  "member set-role": ["member", "update"],
  "host ls": ["host", "list"],
  "schedule ls": ["schedule", "list"],
  "schedule rm": ["schedule", "delete"],
};
