// The `gateway` bench's scripted model server (test/fakes/model-server.ts) in a process of its
// own, as a real provider is: in the bench's own process, the answer it writes in one go would hold
// the client's event loop (the one that times the first byte) for as long as it takes to write.
// `node bench/lib/model-process.ts '<answers JSON>'` prints `{"url":…}` once it listens.
import { type ChildProcess, spawn } from "node:child_process";
import { startModelServer } from "../../test/fakes/model-server.ts";

/**
 * The answers, by what the request's body names: `bench_answer` picks one of `answers` (else
 * `default`): `chars` characters of text, `paceMs` before each 5-character delta.
 */
export type ModelAnswers = Record<string, { chars: number; paceMs?: number }>;

export type ModelProcess = { url: string; close(): Promise<void> };

const CHARS_PER_TOKEN = 4;

export async function startModelProcess(answers: ModelAnswers): Promise<ModelProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [import.meta.filename, JSON.stringify(answers)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the model server exited (${code})`)));
    child.stdout!.once("data", (d) => resolve(JSON.parse(String(d)).url));
  });
  return {
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

if (process.argv[1] === import.meta.filename) {
  const answers = JSON.parse(process.argv[2]) as ModelAnswers;
  const turns = Object.fromEntries(
    Object.entries(answers).map(([name, a]) => {
      const text = "x".repeat(a.chars);
      const usage = { input: 1000, output: Math.round(a.chars / CHARS_PER_TOKEN) };
      return [name, { text, usage, ...(a.paceMs ? { paceMs: a.paceMs } : {}) }];
    }),
  );
  const model = await startModelServer((rec) => turns[rec.body?.bench_answer] ?? turns.default);
  process.stdout.write(`${JSON.stringify({ url: model.url })}\n`);
  process.on("SIGTERM", () => model.close().then(() => process.exit(0)));
}
