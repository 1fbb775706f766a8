/** A vendor API asked us to wait (429 with Retry-After) or is down (5xx): the report is retried later. */
export class VendorRetryError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}
