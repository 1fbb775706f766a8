import { z } from "zod";

const WhSecret = z
  .string()
  .regex(
    /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/,
    "a Standard Webhooks secret: whsec_ + base64 of 24-64 bytes",
  );

/** A generic webhook's credentials: its `whsec_` secret, and the previous one while rotating. */
export const WebhookCredentials = z.strictObject({
  secret: WhSecret,
  previous_secret: WhSecret.optional(),
});
export type WebhookCredentials = z.infer<typeof WebhookCredentials>;

const Path = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe("a dotted path into the payload, e.g. data.repo");
const Scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

/** One condition a delivery must meet to start anything: exactly one of `equals`, `in`, `exists`. */
export const WebhookFilter = z
  .strictObject({
    path: Path,
    equals: Scalar.optional(),
    in: z.array(Scalar).max(100).optional(),
    exists: z.boolean().optional(),
  })
  .refine(
    (f) =>
      [f.equals !== undefined, f.in !== undefined, f.exists !== undefined].filter(Boolean)
        .length === 1,
    "a filter has exactly one of equals, in, exists",
  );
export type WebhookFilter = z.infer<typeof WebhookFilter>;

/** A generic webhook's settings: filters, and where in the payload its thread, link and title are. */
export const WebhookSettings = z.strictObject({
  filters: z.array(WebhookFilter).max(20).optional(),
  /** deliveries with the same value here are one thread: a later one follows up on its run */
  thread_key_path: Path.optional(),
  /** an http(s) URL in the payload: the run's `trigger_url` */
  url_path: Path.optional(),
  title_template: z.string().max(500).optional(),
  /** run metadata from payload paths: `{ "ticket": "data.ticket.id" }` */
  metadata: z
    .record(z.string().regex(/^[a-zA-Z0-9_-][a-zA-Z0-9._-]{0,63}$/), Path)
    .refine((m) => Object.keys(m).length <= 10, "at most 10 metadata keys")
    .refine(
      (m) => !Object.keys(m).some((k) => k.startsWith("ambit.")),
      "ambit.* keys are the platform's",
    )
    .optional(),
});
export type WebhookSettings = z.infer<typeof WebhookSettings>;
