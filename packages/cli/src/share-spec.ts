// `--share <recipient>` (Oz's forms) → the run's `sharing`, and the sentence that says who can see it.
import type { RunSharing, RunShareParams } from "@ambit/sdk";
import { UsageError } from "./command.ts";

const TEAM = {
  team: "VIEWER",
  "team:view": "VIEWER",
  "team:edit": "EDITOR",
  "team:none": "NONE",
} as const;
const PUBLIC = { "public:view": "VIEWER", "public:none": "NONE" } as const;

export const SHARE_FORMS =
  "team (or team:view: teammates watch), team:edit (teammates with the member role steer too), public:view (a read-only link that needs no key)";
const NONE_FORMS =
  "team:none (teammates no longer see a personal run), public:none (revokes the link)";

/**
 * Parses repeated `--share` values: `team`, `team:view`, `team:edit`, `public:view` (and, to change
 * a run's sharing later, `team:none`, `public:none`). Anything else is a usage error naming the forms.
 */
export function parseShareSpecs(
  specs: string[],
  usage: string,
  opts: { allowNone?: boolean } = {},
): RunShareParams {
  const out: { team?: RunSharing["team"]; public?: RunSharing["public"] } = {};
  const forms = opts.allowNone ? `${SHARE_FORMS}, ${NONE_FORMS}` : SHARE_FORMS;
  for (const raw of specs) {
    const spec = raw.trim().toLowerCase();
    const none = spec.endsWith(":none") && !opts.allowNone;
    const team = !none && spec in TEAM ? TEAM[spec as keyof typeof TEAM] : undefined;
    const pub = !none && spec in PUBLIC ? PUBLIC[spec as keyof typeof PUBLIC] : undefined;
    if (spec === "public:edit" || spec === "public") {
      throw new UsageError(
        `--share ${raw}: a public link is read-only (public:view): anyone holding it could otherwise steer an agent that runs with your secrets. ` +
          "To let teammates steer, use --share team:edit",
        usage,
      );
    }
    if (spec.includes("@") || spec.startsWith("email") || spec.startsWith("user")) {
      throw new UsageError(
        `--share ${raw}: sharing with a person is not supported yet; share with the team (team, team:edit) or make a read-only link (public:view)`,
        usage,
      );
    }
    if (team === undefined && pub === undefined)
      throw new UsageError(`--share ${raw} is not a recipient; use ${forms}`, usage);
    const [key, value] =
      team !== undefined ? (["team", team] as const) : (["public", pub!] as const);
    if (out[key] !== undefined && out[key] !== value)
      throw new UsageError(`--share names ${key} twice, differently (${raw}); give it once`, usage);
    (out as Record<string, string>)[key] = value;
  }
  if (opts.allowNone && !Object.keys(out).length)
    throw new UsageError(`name who to share with: ${forms}`, usage);
  return out;
}

/** Who can see the run, in a few lines (and its public link). */
export function describeSharing(sharing: RunSharing): string {
  const team = {
    NONE: "Only you can see this run.",
    VIEWER: "Your team can watch this run; only you steer it.",
    EDITOR:
      "Your team can watch this run, and teammates with the member role or higher can steer it (follow-ups, cancel).",
  }[sharing.team];
  return sharing.public_url
    ? `${team}\nAnyone with this link can watch it, read-only, without a key: ${sharing.public_url}`
    : team;
}
