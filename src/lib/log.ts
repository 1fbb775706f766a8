/**
 * The one logger of the Worker and the Durable Objects: each entry is one line of JSON,
 * `{"msg": …, …fields}`, written at the console level of its severity (Workers Logs keeps it).
 * The fields are written as given, in order, but for one rule: an `error` field is written as its
 * text (`String(err)`), whatever was thrown. Never pass a secret value, nor an object that holds
 * one: what is passed is what is logged.
 */
export type LogFields = Record<string, unknown>;

export const log = {
  info: (msg: string, fields?: LogFields) => console.log(line(msg, fields)),
  warn: (msg: string, fields?: LogFields) => console.warn(line(msg, fields)),
  error: (msg: string, fields?: LogFields) => console.error(line(msg, fields)),
};

/** The text of a thrown value, as `String(err)` gives it; never throws itself. */
export function errorText(err: unknown): string {
  if (typeof err === "string") return err;
  try {
    return String(err);
  } catch {
    return "an error that has no text";
  }
}

function line(msg: string, fields: LogFields | undefined): string {
  const entry: LogFields = { msg, ...fields };
  if (fields && "error" in fields) entry.error = errorText(fields.error);
  try {
    return JSON.stringify(entry);
  } catch (err) {
    // a field JSON cannot write (a BigInt, a cycle): the entry still says what happened
    return JSON.stringify({ msg, log_error: `its fields could not be written: ${errorText(err)}` });
  }
}
