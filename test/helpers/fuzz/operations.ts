import type { Schema } from "./schema-arbitrary.ts";

/** One operation of the OpenAPI document, with what the fuzzer needs to call it. */
export type Operation = {
  method: string;
  /** templated, relative to the server (`/agent/runs/{runId}`) */
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema; required: boolean }[];
  headers: { name: string; schema: Schema; required: boolean }[];
  body?: { type: string; schema?: Schema; required: boolean };
  /** 2xx JSON answers' schemas, by status */
  responses: Record<string, Schema>;
};

type Doc = {
  servers: { url: string }[];
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
};

const METHODS = ["get", "post", "put", "patch", "delete"];

export function operationsOf(doc: Doc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as {
        name: string;
        in: string;
        schema: Schema;
        required?: boolean;
      }[];
      const of = (where: string) =>
        params
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, schema: p.schema ?? {}, required: Boolean(p.required) }));
      const content = op.requestBody?.content ?? {};
      const bodyType = Object.keys(content)[0];
      const responses: Record<string, Schema> = {};
      for (const [status, answer] of Object.entries(op.responses ?? {}) as [string, any][]) {
        const schema = answer.content?.["application/json"]?.schema;
        if (status.startsWith("2") && schema) responses[status] = schema;
      }
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: of("path").map((p) => p.name),
        query: of("query"),
        headers: of("header"),
        body: bodyType
          ? {
              type: bodyType,
              schema: content[bodyType].schema,
              required: Boolean(op.requestBody.required),
            }
          : undefined,
        responses,
      });
    }
  }
  return out;
}

/** `/agent/runs/{runId}` with its parameters filled in (encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ""));
}
