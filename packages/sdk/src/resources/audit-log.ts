import type { AuditEntry, ListAuditLogQuery, ListAuditLogResponse } from "@ambit/protocol";
import type { RequestOptions } from "../core/client.ts";
import { PagePromise } from "../core/pagination.ts";
import { APIResource } from "../core/resource.ts";

export type AuditLogListParams = Omit<ListAuditLogQuery, "cursor" | "limit"> & {
  cursor?: string;
  /** 1–200, default 50 */
  limit?: number;
};
export type { AuditEntry, ListAuditLogResponse };

/**
 * `client.auditLog`: the team's audit log (admins), one hash chain of entries per team. Check a
 * chain with `verifyAuditChain` from `@ambit/protocol` (what `ambit audit verify` does).
 */
export class AuditLog extends APIResource {
  /**
   * Entries newest first, filtered; await for one page or iterate every entry.
   *
   * @example
   * for await (const e of client.auditLog.list({ action: "api_key." })) console.log(e.action);
   */
  list(
    query: AuditLogListParams = {},
    options?: RequestOptions,
  ): PagePromise<ListAuditLogResponse, AuditEntry> {
    const { cursor, ...rest } = query;
    return new PagePromise(
      (next) =>
        this._client.get<ListAuditLogResponse>("/audit-log", {
          ...options,
          query: { ...rest, ...(next ? { cursor: next } : {}) },
        }),
      (page) => page.entries,
      cursor,
    );
  }

  /**
   * The whole chain, oldest first (archived entries included), read as it streams.
   *
   * @example
   * for await (const entry of client.auditLog.export()) console.log(entry.seq, entry.hash);
   */
  async *export(options?: RequestOptions): AsyncGenerator<AuditEntry> {
    const res = await this._client
      .get<string>("/audit-log/export", {
        ...options,
        headers: { accept: "application/x-ndjson", ...options?.headers },
      })
      .asResponse();
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffered = "";
    // a reader, not `for await` over the body: not every runtime's streams are async iterable
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) yield JSON.parse(line) as AuditEntry;
    }
    if (buffered.trim()) yield JSON.parse(buffered) as AuditEntry;
  }
}
