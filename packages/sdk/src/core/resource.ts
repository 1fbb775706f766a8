import type { AmbitCore } from "./client.ts";

/** Base of every resource class: holds the shared client. */
export abstract class APIResource {
  constructor(protected readonly _client: AmbitCore) {}
}

/** `encodeURIComponent` for each interpolated path segment. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(params[i]) : ""), "");
}
