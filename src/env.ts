import { z } from "zod";
import { AppError } from "./lib/errors.ts";

/** The Worker's configuration: vars from wrangler.toml and secrets, validated once per isolate. */
const Config = z
  .object({
    JWT_SECRET: z.string({ error: "is missing" }).min(32, "must be at least 32 characters"),
    SECRETS_KEY: z.string({ error: "is missing" }).min(32, "must be at least 32 characters"),
    /** the platform key before the last rotation: data keys it wrapped still open (src/lib/envelope.ts) */
    SECRETS_KEY_PREVIOUS: z.string().min(32, "must be at least 32 characters").optional(),
    /**
     * the platform admin's credential (a Worker secret; unset: no platform admin): it may raise one
     * team's rate limits at /api/v1/platform/teams/{uid}/limits (docs/security.md)
     */
    PLATFORM_ADMIN_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
    SIGNUP: z.enum(["open", "closed"]).default("open"),
    MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
    // Dispatch timings (milliseconds). The defaults suit production; tests shorten them.
    /** how often hosts send a heartbeat; a host silent for 3 intervals is closed */
    HOST_HEARTBEAT_MS: z.coerce.number().int().min(100).default(10_000),
    /** how long a run survives its host going away before it ends ERROR (the host may reconnect) */
    HOST_LOST_GRACE_MS: z.coerce.number().int().min(100).default(30_000),
    /** how long a host has to confirm a cancellation (or a stop for exceeding the run time) */
    CANCEL_GRACE_MS: z.coerce.number().int().min(100).default(30_000),
    /** how long a LOCAL run lives without a report from the CLI running it before it ends ERROR */
    LOCAL_RUN_LEASE_MS: z.coerce.number().int().min(100).default(60_000),
    /**
     * Who serves the platform pool (`warp`): "local", hosts that connect themselves (`npm start`,
     * `ambit host start`); "containers", a Cloudflare Container per waiting run (the `containers`
     * wrangler environment, docs/deploy.md), with the local kind still welcome.
     */
    PLATFORM_HOSTS: z.enum(["local", "containers"]).default("local"),
    /**
     * the Worker's public origin, where runner containers connect back to (needed by "containers")
     * and where integrations' comments link a run (`<PUBLIC_URL>/runs/<id>`)
     */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Slack's Web API (and OAuth) base: every Slack integration of this server calls it. Tests and
     * benches point it at a fake (test/fakes/slack-web-api.ts); production leaves the default.
     */
    SLACK_API_URL: z
      .url({ protocol: /^https?$/ })
      .default("https://slack.com/api")
      .transform((u) => u.replace(/\/+$/, "")),
    /**
     * Linear's API origin (GraphQL at `<LINEAR_API_URL>/graphql`): the Linear integration's
     * activities and issue reads go there; tests point it at a fake (test/fakes/linear-graphql.ts)
     */
    LINEAR_API_URL: z
      .url({ protocol: /^https?$/ })
      .default("https://api.linear.app")
      .transform((u) => u.replace(/\/+$/, "")),
    /**
     * Linear's web origin, where an admin approves the OAuth install (`<LINEAR_OAUTH_URL>/oauth/
     * authorize`); the code is exchanged at `<LINEAR_API_URL>/oauth/token`. Tests point both at a fake.
     */
    LINEAR_OAUTH_URL: z
      .url({ protocol: /^https?$/ })
      .default("https://linear.app")
      .transform((u) => u.replace(/\/+$/, "")),
    // Live viewers (finding 7): what one run's session serves at once; more are answered 429.
    /** websockets and SSE streams of one run, of every kind (teammates and the public link; the host aside) */
    RUN_VIEWERS_MAX: z.coerce.number().int().min(1).default(100),
    /** of those, through the run's public link from one address (`cf-connecting-ip`) */
    PUBLIC_VIEWERS_PER_IP_MAX: z.coerce.number().int().min(1).default(10),

    // ── Platform ceilings: what the operator allows every team; no team setting can pass them ──
    /** the highest `limits.max_concurrent_runs` a team may set (a lower ceiling caps teams that set more) */
    MAX_CONCURRENT_RUNS_CEILING: z.coerce.number().int().min(1).default(50),
    /** the highest `limits.max_run_time_seconds` a team may set, likewise */
    MAX_RUN_TIME_CEILING_SECONDS: z.coerce.number().int().min(60).default(86_400),
    /** schedules a team may have (enabled or paused) */
    MAX_SCHEDULES_PER_TEAM: z.coerce.number().int().min(0).default(100),
    /** runs a team may have waiting (QUEUED) at once; past it, creating one is 429 until some start */
    MAX_QUEUED_RUNS_PER_TEAM: z.coerce.number().int().min(1).default(500),
    /** slots of one team's schedules a cron tick starts; the rest start at the next tick (late) */
    MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK: z.coerce.number().int().min(1).default(50),
    /** signups (POST /teams) per client address (cf-connecting-ip; IPv6 per /64) per hour */
    SIGNUPS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).default(10),
    /** requests to public links (any run's) per client address per minute */
    PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(120),
    /** console sign-ins (POST /auth/sign-in, GET /auth/link/…) per client address per minute */
    SIGN_INS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    /** requests to integrations' inbound URLs per client address per minute, before any check */
    INBOUND_DELIVERIES_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(3_000),
    // Authenticated requests per minute, per API key (or web session) and per team, by budget
    // (src/lib/api-rate-limits.ts): creating runs, follow-ups, attaches, everything else. Each is
    // every team's default and the most its admins may set; a platform admin may raise one team's
    // (docs/security.md). Most requests spend tokens their isolate leased (lib/leased-limiter.ts).
    RUN_CREATES_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(300),
    RUN_CREATES_PER_TEAM_PER_MINUTE: z.coerce.number().int().min(1).default(1_200),
    FOLLOWUPS_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(300),
    FOLLOWUPS_PER_TEAM_PER_MINUTE: z.coerce.number().int().min(1).default(1_200),
    ATTACHES_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    ATTACHES_PER_TEAM_PER_MINUTE: z.coerce.number().int().min(1).default(3_000),
    REQUESTS_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(1_200),
    REQUESTS_PER_TEAM_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
    /**
     * "true": outbound webhooks may reach loopback, private, link-local and internal addresses and
     * plain http (local development and tests); otherwise only public https destinations.
     */
    WEBHOOKS_ALLOW_PRIVATE: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true"),
    /**
     * "true": single sign-on issuers may be plain http (a provider on localhost: development and
     * tests); otherwise only https, as OpenID Connect requires.
     */
    SSO_ALLOW_HTTP: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true"),
    /** an outbound webhook whose attempts have all failed for this many days is disabled */
    WEBHOOKS_DISABLE_AFTER_DAYS: z.coerce.number().positive().default(5),
    /**
     * The waits (seconds, comma-separated) between a webhook delivery's attempts, replacing the
     * schedule of src/services/webhooks/backoff.ts; end to end tests and benches shorten it.
     */
    WEBHOOKS_RETRY_DELAYS: z
      .string()
      .regex(/^\d+(,\d+)*$/, "must be whole seconds separated by commas, e.g. 5,300,1800")
      .transform((v) => v.split(",").map(Number))
      .optional(),
    /**
     * Origins besides the Worker's own whose pages may make cookie-authenticated writes and open
     * websockets (a console served elsewhere), comma-separated, e.g. `https://console.example.com`.
     */
    CONSOLE_ORIGINS: z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .url({ protocol: /^https?$/ })
            .refine(
              (o) => new URL(o).origin === o,
              "must be origins like https://console.example.com (no path)",
            ),
        ),
      ),
  })
  .refine((c) => c.PLATFORM_HOSTS !== "containers" || c.PUBLIC_URL, {
    path: ["PUBLIC_URL"],
    message:
      "is required when PLATFORM_HOSTS is 'containers' (the https origin runner containers connect to, e.g. https://ambit.example.workers.dev)",
  });
export type Config = z.infer<typeof Config>;

const cache = new WeakMap<object, Config>();

/**
 * Parses the Worker's vars and secrets. A missing secret is a clear error naming the fix,
 * never an `undefined` discovered deep inside a request.
 */
export function getConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = Config.safeParse(env);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ");
    throw new AppError(
      "server_misconfigured",
      `The server is misconfigured: ${what}. Locally, \`npm start\` writes fresh secrets to .dev.vars; ` +
        "in production run `wrangler secret put <NAME>`.",
    );
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
