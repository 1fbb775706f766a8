import type { z } from "zod";
import { AppError } from "../lib/errors.ts";
import type { IntegrationRecord } from "./kind.ts";

/**
 * The integration with its credentials and settings parsed again by its kind's schemas: stored
 * ones were checked when written, but a setting added since has no value there until this fills
 * in its default. Parsing is idempotent. `label` names the kind in the error ("GitHub").
 */
export function parseRecord<C, S>(
  integration: IntegrationRecord<unknown, unknown>,
  schemas: { credentials: z.ZodType<C>; settings: z.ZodType<S>; label: string },
): IntegrationRecord<C, S> {
  const credentials = schemas.credentials.safeParse(integration.credentials);
  const settings = schemas.settings.safeParse(integration.settings);
  if (!credentials.success || !settings.success)
    throw new AppError(
      "integration_not_configured",
      `The ${schemas.label} integration's ${credentials.success ? "settings" : "credentials"} no longer validate; save them again (PATCH /api/v1/integrations/${integration.id}).`,
    );
  return { ...integration, credentials: credentials.data, settings: settings.data };
}
