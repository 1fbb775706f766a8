import type { AmbitCore } from "./client.ts";

/** Base of every resource class: holds the shared client. */
export abstract class APIResource {
  protected readonly _client: AmbitCore;
  constructor(client: AmbitCore) {
    this._client = client;
  }
}

/** `encodeURIComponent` for each interpolated path segment. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < params.length ? encodeURIComponent(params[i]) : ""),
    "",
  );
}
