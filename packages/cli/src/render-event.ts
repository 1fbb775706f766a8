import type { RunEvent } from "@ambit/sdk";
import type { Style } from "./output.ts";

/** A line (or lines) of the progress view for one event, or nothing for events it does not show. */
export type Rendered = { text: string; style?: Style } | null;

const indent = (text: string, prefix = "  ") =>
  text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");

/** How the progress view and `run logs` show each event type. */
export function renderEvent(e: RunEvent): Rendered {
  // biome-ignore lint/suspicious/noExplicitAny: an event payload is JSON whose shape its type names; fields are read defensively
  const p = e.payload as Record<string, any>;
  switch (e.type) {
    case "run.created":
      return { text: `run created (${p.state})`, style: "gray" };
    case "run.state_changed": {
      const msg = p.status_message?.message ? ` — ${p.status_message.message}` : "";
      const style: Style =
        p.to === "SUCCEEDED"
          ? "green"
          : ["FAILED", "ERROR"].includes(p.to)
            ? "red"
            : p.to === "CANCELLED"
              ? "yellow"
              : "cyan";
      return { text: `${p.from} → ${p.to}${msg}`, style };
    }
    case "run.waiting":
      return { text: p.status_message?.message ?? "waiting", style: "yellow" };
    case "run.cancel_requested":
      return { text: "cancel requested", style: "yellow" };
    case "agent.message":
      return { text: `${p.role === "system" ? "system" : "agent"}: ${p.text}` };
    case "agent.tool_call": {
      const input = p.input ?? {};
      const shown =
        typeof input.command === "string"
          ? `$ ${input.command}`
          : `${p.name} ${JSON.stringify(input)}`;
      return { text: shown, style: "blue" };
    }
    case "agent.tool_result":
      return {
        text: `${p.state === "completed" ? "✓" : "✗"} ${p.name} ${p.state}`,
        style: p.state === "completed" ? "gray" : "red",
      };
    case "command.output":
      return {
        text: indent(String(p.chunk ?? ""), "  │ "),
        style: p.stream === "stderr" ? "yellow" : "dim",
      };
    case "followup.received":
      return { text: `follow-up: ${p.message}`, style: "magenta" };
    case "artifact.created": {
      const d = p.data ?? {};
      // a kept file says how to get it; other artifacts show their data (a pull request's url, …)
      if (p.artifact_type === "FILE" && typeof d.artifact_uid === "string") {
        return {
          text: `artifact FILE ${d.filepath ?? d.filename}: ambit artifact download ${d.artifact_uid}`,
          style: "green",
        };
      }
      return { text: `artifact ${p.artifact_type}: ${JSON.stringify(d)}`, style: "green" };
    }
    case "setup.step":
      return {
        text: `setup ${p.phase} ${p.name}: ${p.status}${p.exit_code !== undefined ? ` (exit ${p.exit_code})` : ""}`,
        style: p.status === "failed" ? "red" : "gray",
      };
    case "error":
      return { text: `error: ${p.message}`, style: "red" };
    case "log":
      return { text: `${p.source ? `${p.source}: ` : ""}${p.message}`, style: "gray" };
    case "secrets.withheld":
      return { text: p.message, style: "yellow" };
    case "usage":
      return null;
    default:
      return { text: `${e.type} ${JSON.stringify(p)}`, style: "gray" };
  }
}
