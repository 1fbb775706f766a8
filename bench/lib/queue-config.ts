// The `RUNS` queue's consumer settings, read from wrangler.toml, and a bench-only copy of that
// config with another `max_batch_timeout` (the dispatch benchmark's second latency case shows what
// the dispatch path costs without the batch wait). The copy lives in .wrangler/ (gitignored);
// production settings are never changed.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";

const QUEUE = "ambit-runs";

/** `[[queues.consumers]]` blocks, split at each `[[`: the one of the RUNS queue. */
function consumerBlock(toml: string) {
  const blocks = toml.split("[[");
  const i = blocks.findIndex(
    (b) => b.startsWith("queues.consumers]]") && new RegExp(`queue\\s*=\\s*"${QUEUE}"`).test(b),
  );
  if (i < 0) throw new Error(`wrangler.toml has no [[queues.consumers]] block for ${QUEUE}`);
  return { blocks, i };
}

/** The RUNS consumer's batching as wrangler.toml sets it. */
export function runsQueueConsumer() {
  const { blocks, i } = consumerBlock(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"));
  const num = (key: string) =>
    Number(new RegExp(`^${key}\\s*=\\s*(\\d+(?:\\.\\d+)?)`, "m").exec(blocks[i])?.[1] ?? NaN);
  return {
    queue: QUEUE,
    max_batch_size: num("max_batch_size"),
    max_batch_timeout_s: num("max_batch_timeout"),
  };
}

/**
 * Writes a copy of wrangler.toml whose RUNS consumer has `max_batch_timeout = seconds` into
 * .wrangler/ (its relative paths rewritten for that folder); returns its path and a remover.
 */
export function configWithBatchTimeout(seconds: number): { file: string; remove: () => void } {
  let toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  toml = toml
    .replace(/^main\s*=\s*"([^"]+)"/m, (_m, p: string) => `main = "../${p}"`)
    .replace(/^migrations_dir\s*=\s*"([^"]+)"/m, (_m, p: string) => `migrations_dir = "../${p}"`);
  const { blocks, i } = consumerBlock(toml);
  if (!/^max_batch_timeout\s*=/m.test(blocks[i]))
    throw new Error(`the ${QUEUE} consumer in wrangler.toml sets no max_batch_timeout`);
  blocks[i] = blocks[i].replace(
    /^max_batch_timeout\s*=\s*[\d.]+/m,
    `max_batch_timeout = ${seconds}`,
  );
  const file = path.join(ROOT, ".wrangler", `bench-dispatch-${process.pid}.toml`);
  writeFileSync(file, blocks.join("[["));
  return { file, remove: () => rmSync(file, { force: true }) };
}
