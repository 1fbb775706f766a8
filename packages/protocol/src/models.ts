import { z } from "zod";
import { ServiceUrl } from "./bounds.ts";
import { SecretName } from "./secrets.ts";

export const ModelProvider = z.enum(["openai", "anthropic"]);

const price = z.number().min(0).max(10_000);
/** A model's prices in USD per million tokens (the gateway's ledger counts micro-USD). */
export const ModelPrices = z
  .object({
    input: price,
    output: price,
    cache_read: price,
    cache_write: price,
  })
  .describe(
    "USD per million tokens; in answers the prices in force (the entry's own, else the well-known default for its model name, else 0)",
  );
export type ModelPrices = z.infer<typeof ModelPrices>;

/** Oz `ModelInfo`, plus the catalog fields Ambit adds (which API, where, which secret holds the key). */
export const ModelInfo = z.object({
  id: z.string(),
  display_name: z.string(),
  provider: z.enum(["OPENAI", "ANTHROPIC", "GOOGLE", "UNKNOWN"]),
  vision_supported: z.boolean(),
  description: z.string().optional(),
  reasoning_level: z.string().optional(),
  api: ModelProvider.describe(
    "`openai`: any OpenAI-compatible chat-completions server; `anthropic`: the Messages API",
  ),
  model: z.string().describe("the model name sent to the provider"),
  base_url: z.string().nullable(),
  api_key_secret: z.string().nullable(),
  prices: ModelPrices,
  is_default: z
    .boolean()
    .describe(
      "whether this is the team's default model (the one marked default, else the first added), in every answer the same as the list's",
    ),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ListModelsResponse = z.object({
  default_model_id: z
    .string()
    .describe("the team's default model; empty when the catalog is empty"),
  models: z.array(ModelInfo),
});
export type ListModelsResponse = z.infer<typeof ListModelsResponse>;

export const ModelId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/,
    "a model id is 1-100 characters of letters, digits, '.', '_', ':', '@' or '-'",
  );

const modelFields = {
  display_name: z.string().trim().min(1).max(100).optional(),
  provider: ModelProvider.describe("which API the host speaks"),
  model: z.string().min(1).max(200).describe("the model name sent to the provider"),
  base_url: ServiceUrl.nullable().optional(),
  api_key_secret: SecretName.nullable()
    .optional()
    .describe("name of the secret holding the API key"),
  vision_supported: z.boolean().default(false),
  description: z.string().max(500).optional(),
  reasoning_level: z.string().max(50).optional(),
  default: z.boolean().optional().describe("make this the team's default model"),
  prices: z
    .object({
      input: price.nullable(),
      output: price.nullable(),
      cache_read: price.nullable(),
      cache_write: price.nullable(),
    })
    .partial()
    .optional()
    .describe(
      "USD per million tokens; a price left out or null is the well-known default for the model name (0 when unknown)",
    ),
};

export const CreateModelRequest = z.object({ id: ModelId, ...modelFields });
export type CreateModelRequest = z.infer<typeof CreateModelRequest>;
export const UpdateModelRequest = z.object(modelFields).describe("full replacement");
export type UpdateModelRequest = z.infer<typeof UpdateModelRequest>;
