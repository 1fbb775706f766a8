import { problemText } from "../lib/api.ts";

/** An API error shown where it happened, with the problem's detail. */
export function Problem({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="problem">
      {what ? `${what}: ` : ""}
      {problemText(error)}
    </p>
  );
}
