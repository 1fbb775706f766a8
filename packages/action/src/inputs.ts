// The action's inputs, as the runner hands them over (`INPUT_<NAME>`, see action.yml), read and
// checked before anything is sent: a mistake in the workflow file is named with its input.
import type { RunCreateParams, RunShareParams } from "@ambit/sdk";

export type ActionInputs = {
  baseUrl: string;
  apiKey: string;
  /** the run as `POST /agent/runs` takes it, before the GitHub metadata is added */
  body: RunCreateParams;
  wait: boolean;
  /** 0: no limit but the job's own */
  timeoutMinutes: number;
};

/** A workflow mistake, named by input: the step fails with it before any request. */
export class InputError extends Error {
  override name = "InputError";
}

/** `core.getInput`: `INPUT_<NAME>` (upper case, spaces as `_`), trimmed; "" when unset. */
export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replaceAll(" ", "_").toUpperCase()}`] ?? "").trim();
}

/** `core.getBooleanInput`: the YAML 1.2 core schema's spellings only. */
export function getBooleanInput(env: NodeJS.ProcessEnv, name: string, fallback: boolean) {
  const raw = getInput(env, name);
  if (!raw) return fallback;
  if (["true", "True", "TRUE"].includes(raw)) return true;
  if (["false", "False", "FALSE"].includes(raw)) return false;
  throw new InputError(`input ${name} is '${raw}'; use true or false`);
}

const SHARE: Record<string, [keyof RunShareParams, string]> = {
  team: ["team", "VIEWER"],
  "team:view": ["team", "VIEWER"],
  "team:edit": ["team", "EDITOR"],
  "team:none": ["team", "NONE"],
  none: ["team", "NONE"],
  "public:view": ["public", "VIEWER"],
  "public:none": ["public", "NONE"],
};
const SHARE_FORMS = Object.keys(SHARE).join(", ");

/** `share`: recipients separated by commas, spaces or lines (the CLI's `--share` forms). */
export function parseShare(raw: string): RunShareParams | undefined {
  const out: Record<string, string> = {};
  for (const spec of raw
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean)) {
    const hit = SHARE[spec];
    if (!hit)
      throw new InputError(
        `input share: '${spec}' is not a recipient; use ${SHARE_FORMS} (a public link is ` +
          "read-only: public:view)",
      );
    const [key, value] = hit;
    if (out[key] && out[key] !== value)
      throw new InputError(`input share names ${key} twice, differently; give it once`);
    out[key] = value;
  }
  return Object.keys(out).length ? (out as RunShareParams) : undefined;
}

/** `metadata`: a JSON object of strings (numbers and booleans are written as strings). */
export function parseMetadata(raw: string): Record<string, string> {
  if (!raw) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InputError(`input metadata is not JSON; give an object, e.g. {"ticket": "OPS-42"}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new InputError(`input metadata must be a JSON object, e.g. {"ticket": "OPS-42"}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!["string", "number", "boolean"].includes(typeof v))
      throw new InputError(`input metadata: '${k}' must be a string, number or boolean`);
    out[k] = String(v);
  }
  return out;
}

/** Every input, checked; throws `InputError` naming the first one that is wrong. */
export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const input = (name: string) => getInput(env, name);
  const apiKey = input("api_key") || input("warp_api_key");
  if (!apiKey)
    throw new InputError(
      "input api_key is empty: pass a repository secret, e.g. api_key: ${{ secrets.AMBIT_API_KEY }} " +
        "(create a key with `ambit api-key create ci --role member`)",
    );
  const baseUrl = input("base_url") || input("api_url");
  if (!/^https?:\/\/[^/\s]+/i.test(baseUrl) || !URL.canParse(baseUrl))
    throw new InputError(
      `input base_url is ${baseUrl ? `'${baseUrl}'` : "empty"}; give your Ambit platform's address, ` +
        "e.g. https://ambit.example.com",
    );
  const prompt = input("prompt");
  const skill = input("skill");
  const savedPrompt = input("saved_prompt");
  const agent = input("agent");
  if (!prompt && !skill && !savedPrompt && !agent)
    throw new InputError(
      "input prompt is empty: say what the agent should do (or give skill, saved_prompt or agent)",
    );
  const timeoutRaw = input("timeout_minutes");
  const timeoutMinutes = timeoutRaw ? Number(timeoutRaw) : 60;
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes < 0)
    throw new InputError(
      `input timeout_minutes is '${timeoutRaw}'; give minutes, e.g. 30 (0: no limit)`,
    );
  const config: NonNullable<RunCreateParams["config"]> = {
    ...(input("environment") ? { environment_id: input("environment") } : {}),
    ...(input("model") ? { model_id: input("model") } : {}),
    ...(input("host") ? { worker_host: input("host") } : {}),
    ...(input("name") ? { name: input("name") } : {}),
  };
  const sharing = parseShare(input("share"));
  const metadata = parseMetadata(input("metadata"));
  const body: RunCreateParams = {
    ...(prompt ? { prompt } : {}),
    ...(skill ? { skill } : {}),
    ...(savedPrompt ? { saved_prompt: savedPrompt } : {}),
    ...(agent ? { agent_identity_uid: agent } : {}),
    ...(input("title") ? { title: input("title") } : {}),
    ...(Object.keys(config).length ? { config } : {}),
    ...(sharing ? { sharing } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
  return { baseUrl, apiKey, body, wait: getBooleanInput(env, "wait", true), timeoutMinutes };
}
