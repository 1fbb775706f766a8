// Who is watching, in words: people by the name the server sends with presence (a member's
// display name or email, a service account's agent), the public link's viewers as a count.
import type { Presence } from "./use-run-events.ts";

type PresenceEntry = Presence[number];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** One presence entry as the run page says it. */
export function presenceName(e: PresenceEntry): string {
  const p = e.principal;
  if (p.type === "public") return `${plural(e.connections, "person", "people")} with the link`;
  if (p.type === "host") return "the run's host";
  if (p.type === "system") return "Ambit";
  if (e.name) return e.name;
  // no name: someone the server would not name here (a public page) or an older server
  return p.type === "service_account" ? "a service account" : "a teammate";
}

/** "Watching: Ada, Grace (2 tabs), 3 people with the link". */
export function presenceText(entries: PresenceEntry[]): string {
  const names = entries.map((e) => {
    const name = presenceName(e);
    const tabs = e.principal.type !== "public" && e.connections > 1;
    return tabs ? `${name} (${plural(e.connections, "connection", "connections")})` : name;
  });
  return names.length ? `Watching: ${names.join(", ")}` : "";
}
