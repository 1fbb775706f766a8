// What a failed call to the platform means for the person reading the workflow log.
import { APIConnectionError, APIError } from "@ambit/sdk";

const KEY_HELP =
  "Check the api_key input: the secret must hold an API key of this platform that has not " +
  "expired or been revoked (create one with `ambit api-key create ci --role member`).";

/** One sentence or two: what failed, why, and what to change. */
export function describeError(err: unknown, origin: string): string {
  if (err instanceof APIError) {
    // an invalid_request's detail already names each wrong field
    const said = err.detail ?? err.message;
    if (err.status === 401) return `Ambit refused the API key (401): ${said}. ${KEY_HELP}`;
    if (err.status === 403) return `The API key may not do this (403): ${said}`;
    if (err.status === 404 && !err.error_code)
      return `Nothing at ${origin} answers as an Ambit platform (404). Is base_url your platform's address?`;
    return `Ambit answered ${err.status}${err.error_code ? ` ${err.error_code}` : ""}: ${said}`;
  }
  if (err instanceof APIConnectionError)
    return `The platform did not answer (${err.message}). Check base_url (${origin}), and that the platform is reachable from this runner.`;
  return err instanceof Error ? err.message : String(err);
}
