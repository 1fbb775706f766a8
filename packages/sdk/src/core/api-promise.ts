/** A parsed answer and the raw `Response` it came from. */
export type WithResponse<T> = { data: T; response: Response };

/**
 * The promise every API method returns: await it for the parsed body, or use
 * `.withResponse()` / `.asResponse()` for the raw `Response` (headers, status).
 *
 * @example
 * const { data, response } = await client.agent.runs.create({ prompt: "hi" }).withResponse();
 * console.log(response.headers.get("idempotent-replayed"));
 */
export class APIPromise<T> implements PromiseLike<T> {
  private parsed?: Promise<WithResponse<T>>;

  private readonly responsePromise: Promise<Response>;
  private readonly parse: (response: Response) => Promise<T>;

  constructor(responsePromise: Promise<Response>, parse: (response: Response) => Promise<T>) {
    this.responsePromise = responsePromise;
    this.parse = parse;
  }

  /** The raw response; its body is left unread. */
  asResponse(): Promise<Response> {
    return this.responsePromise;
  }

  /** The parsed body together with the raw response. */
  withResponse(): Promise<WithResponse<T>> {
    this.parsed ??= this.responsePromise.then(async (response) => ({
      data: await this.parse(response),
      response,
    }));
    return this.parsed;
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, so the call can be awaited or chained
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.withResponse()
      .then((r) => r.data)
      .then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onfinally);
  }
}
