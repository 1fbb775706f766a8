/**
 * The value at a dotted path of a delivery's payload (`pull_request.head.ref`, `items.0.id`); a
 * leading `payload.` is the payload itself. Missing anywhere along the way: `undefined`.
 */
export function valueAt(payload: unknown, path: string): unknown {
  const parts = path.trim().split(".").filter(Boolean);
  if (parts[0] === "payload") parts.shift();
  let here: unknown = payload;
  for (const part of parts) {
    if (here === null || typeof here !== "object") return undefined;
    if (!Object.hasOwn(here, part)) return undefined; // never the prototype's fields
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

/** A payload value as text: strings as they are, everything else as JSON, missing as nothing. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Fills `{{payload.path}}` placeholders (`{{payload}}`: the whole payload as JSON). A missing
 * value renders empty; objects and arrays render as JSON. Nothing else is evaluated.
 */
export function renderTemplate(template: string, payload: unknown): string {
  return template.replace(/\{\{\s*(payload(?:\.[^{}\s]+)?)\s*\}\}/g, (_, path: string) =>
    textOf(valueAt(payload, path)),
  );
}
