// A new secret's value (an API key, a webhook's signing secret), shown once with a copy button:
// the API never returns it again.
import type { ReactNode } from "react";
import { CopyField } from "../components/copy-field.tsx";

export function KeyOnce(props: {
  value: string;
  /** the value's accessible name and test id, distinct where two forms can show one */
  label: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <div className="banner new-key" role="status">
      <p>{props.children}</p>
      <CopyField value={props.value} label={props.label} testId={props.testId} />
    </div>
  );
}
