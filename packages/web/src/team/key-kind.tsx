// What a new key may be used for — everything its role allows, read only, or joining host pools —
// as form fields, and those fields read back as the API's `scopes` and `pools`.
import type { KeyScope } from "@ambit/protocol";

export function KeyKindFields() {
  return (
    <>
      <label>
        Scopes{" "}
        <select name="kind" defaultValue="all">
          <option value="all">all its role allows</option>
          <option value="read">read only (runs, configuration)</option>
          <option value="host">host key (hosts:connect)</option>
        </select>
      </label>
      <label>
        Pools <input name="pools" maxLength={500} placeholder="build, gpu (host keys)" />
      </label>
    </>
  );
}

/** The `scopes` and `pools` of a create-key request from the fields above (none: all it may). */
export function keyKind(f: FormData): { scopes?: KeyScope[]; pools?: string[] } {
  const kind = String(f.get("kind") ?? "all");
  const pools = String(f.get("pools") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (kind === "read") return { scopes: ["runs:read", "config:read"] };
  if (kind === "host") return { scopes: ["hosts:connect"], ...(pools.length ? { pools } : {}) };
  return {};
}
