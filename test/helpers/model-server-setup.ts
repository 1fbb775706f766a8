// vitest globalSetup of the worker project: the scripted model server (test/fakes/model-server.ts)
// in Node, for the model gateway's tests in workerd (`inject("modelServerUrl")`). A request
// scripts its own turn in the `x-test-turn` header (JSON, a ScriptedTurn without its promises);
// without one the turn answers "key=<the API key the server received>", so a test sees which
// key the gateway sent.
import type { TestProject } from "vitest/node";
import { type RecordedRequest, startModelServer } from "../fakes/model-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    modelServerUrl: string;
  }
}

const keyOf = (r: RecordedRequest) =>
  String(r.headers["x-api-key"] ?? r.headers.authorization ?? r.headers["x-goog-api-key"] ?? "");

export default async function setup(project: TestProject) {
  const server = await startModelServer((rec) => {
    const scripted = rec.headers["x-test-turn"];
    const { holdMs, repeat, ...turn } = typeof scripted === "string" ? JSON.parse(scripted) : {};
    // `repeat`: the text that many times over (a long answer, its script short enough for a header)
    if (repeat) turn.text = String(turn.text).repeat(repeat);
    // `holdMs`: the first chunk, then a pause before the rest (to see it arrive alone)
    const hold = holdMs ? new Promise((r) => setTimeout(r, holdMs)) : undefined;
    return { text: `key=${keyOf(rec)} url=${rec.url}`, ...turn, hold };
  });
  project.provide("modelServerUrl", server.url);
  return () => server.close();
}
