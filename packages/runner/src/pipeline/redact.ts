import type { AssignedSecret } from "@ambit/protocol";

/** What a secret's value becomes in every event: `[REDACTED:<name>]`. */
export const redactionOf = (name: string) => `[REDACTED:${name}]`;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Replaces every secret value in text with `[REDACTED:<name>]`. Longer values win where two
 * overlap (one regex, alternatives longest first). Every non-empty value is redacted, however
 * short: a short secret mangles some output, but leaking it is worse.
 */
export class Redactor {
  /** the longest secret value's length */
  readonly maxLength: number;
  private readonly values: string[];
  private readonly pattern: RegExp | null;
  private readonly names = new Map<string, string>();

  constructor(secrets: readonly Pick<AssignedSecret, "name" | "value">[]) {
    const values = secrets.filter((s) => s.value.length > 0);
    for (const s of values) if (!this.names.has(s.value)) this.names.set(s.value, s.name);
    const sorted = [...this.names.keys()].sort((a, b) => b.length - a.length);
    this.maxLength = sorted[0]?.length ?? 0;
    this.values = sorted;
    this.pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
  }

  get active() {
    return this.pattern !== null;
  }

  /** `text` with every secret value replaced. */
  text(text: string): string {
    if (!this.pattern || text.length === 0) return text;
    return text.replace(this.pattern, (v) => redactionOf(this.names.get(v)!));
  }

  /** Every string in `value` (object keys included) redacted; the input is not changed. */
  deep<T>(value: T): T {
    if (!this.pattern) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  /** Length of the longest end of `text` that a secret value begins with (and is longer than). */
  pendingLength(text: string): number {
    for (let n = Math.min(this.maxLength - 1, text.length); n > 0; n--) {
      const end = text.slice(text.length - n);
      if (this.values.some((v) => v.length > n && v.startsWith(end))) return n;
    }
    return 0;
  }

  /**
   * Redacts the stream `held + chunk` as far as it can be decided. Only an end of the text that
   * could begin a secret value (which the next chunk may complete) is held back; everything
   * before it is sent. Returns the text to send and the new tail to hold.
   */
  stream(held: string, chunk: string): { out: string; held: string } {
    const text = held + chunk;
    if (!this.pattern) return { out: text, held: "" };
    let cutoff = text.length - this.pendingLength(text);
    let out = "";
    let pos = 0;
    this.pattern.lastIndex = 0;
    for (let m = this.pattern.exec(text); m; m = this.pattern.exec(text)) {
      // a match starting this late might be the prefix of a longer secret still to come
      if (m.index >= cutoff) break;
      out += text.slice(pos, m.index) + redactionOf(this.names.get(m[0])!);
      pos = m.index + m[0].length;
      if (pos > cutoff) cutoff = pos;
    }
    out += text.slice(pos, cutoff);
    return { out, held: text.slice(cutoff) };
  }
}
