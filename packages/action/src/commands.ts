// Workflow commands: lines on stdout the runner acts on (`::add-mask::`, `::error::`, groups).
// Their escaping is the toolkit's (@actions/core `command.ts`): a value's `%`, CR and LF are
// escaped so a message cannot end its line early and start a command of its own.

/** Where the commands go: the step's stdout. */
export type Out = { write: (text: string) => unknown };

const escapeData = (s: string) =>
  s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const escapeProperty = (s: string) => escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

/** One command line: `::name key=value,…::message`. */
export function command(
  name: string,
  message: string,
  properties: Record<string, string | undefined> = {},
): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${escapeProperty(v!)}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}\n`;
}

/** The commands a step uses, bound to its stdout. */
export function workflowCommands(out: Out) {
  return {
    /** Masks `secret` in every later log line; call it before anything could print it. */
    addMask: (secret: string) => {
      if (secret) out.write(command("add-mask", secret));
    },
    error: (message: string, title?: string) => out.write(command("error", message, { title })),
    warning: (message: string, title?: string) => out.write(command("warning", message, { title })),
    notice: (message: string, title?: string) => out.write(command("notice", message, { title })),
    /** Log lines between `group` and `endGroup` fold under `title`. */
    group: (title: string) => out.write(command("group", title)),
    endGroup: () => out.write(command("endgroup", "")),
    info: (line: string) => out.write(`${line}\n`),
  };
}
export type WorkflowCommands = ReturnType<typeof workflowCommands>;
