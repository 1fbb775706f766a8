/**
 * Model prices in micro-USD per million tokens (so $3 / M tokens is 3_000_000), and a call's cost
 * in whole micro-USD. A catalog entry's own prices win; these defaults are the providers' list
 * prices of well-known models, matched by model name (first match wins, so longer names first).
 */
export type Prices = { input: number; output: number; cacheRead: number; cacheWrite: number };
export type Tokens = { input: number; output: number; cacheRead: number; cacheWrite: number };
export type Cost = Tokens & { total: number };

const usd = (input: number, output: number, cacheRead: number, cacheWrite = 0): Prices => ({
  input: Math.round(input * 1e6),
  output: Math.round(output * 1e6),
  cacheRead: Math.round(cacheRead * 1e6),
  cacheWrite: Math.round(cacheWrite * 1e6),
});

const DEFAULTS: [RegExp, Prices][] = [
  // Anthropic: cache writes (5-minute) at 1.25x input, reads at 0.1x
  [/^claude-opus-4-[5-9]/, usd(5, 25, 0.5, 6.25)],
  [/^claude-(opus-4|3-opus)/, usd(15, 75, 1.5, 18.75)],
  [/^claude-(sonnet-4|3-7-sonnet|3-5-sonnet)/, usd(3, 15, 0.3, 3.75)],
  [/^claude-haiku-4/, usd(1, 5, 0.1, 1.25)],
  [/^claude-3-5-haiku/, usd(0.8, 4, 0.08, 1)],
  [/^claude-3-haiku/, usd(0.25, 1.25, 0.03, 0.3)],
  // OpenAI: cached input at the provider's discount, no cache-write charge
  [/^gpt-5(\.\d+)?-nano/, usd(0.05, 0.4, 0.005)],
  [/^gpt-5(\.\d+)?-mini/, usd(0.25, 2, 0.025)],
  [/^gpt-5/, usd(1.25, 10, 0.125)],
  [/^gpt-4\.1-nano/, usd(0.1, 0.4, 0.025)],
  [/^gpt-4\.1-mini/, usd(0.4, 1.6, 0.1)],
  [/^gpt-4\.1/, usd(2, 8, 0.5)],
  [/^gpt-4o-mini/, usd(0.15, 0.6, 0.075)],
  [/^gpt-4o/, usd(2.5, 10, 1.25)],
  [/^o4-mini/, usd(1.1, 4.4, 0.275)],
  [/^o3-mini/, usd(1.1, 4.4, 0.55)],
  [/^o3/, usd(2, 8, 0.5)],
  [/^codex-mini/, usd(1.5, 6, 0.375)],
  // Google (prompts up to 200k tokens)
  [/^gemini-2\.5-pro/, usd(1.25, 10, 0.31)],
  [/^gemini-2\.5-flash-lite/, usd(0.1, 0.4, 0.025)],
  [/^gemini-2\.5-flash/, usd(0.3, 2.5, 0.075)],
  [/^gemini-2\.0-flash/, usd(0.1, 0.4, 0.025)],
  [/^gemini-3-pro/, usd(2, 12, 0.2)],
];

const FREE: Prices = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/** A model's default prices by its name (a prefix like `anthropic/` aside); zero when unknown. */
export function defaultPrices(model: string): Prices & { known: boolean } {
  const name = model.toLowerCase().replace(/^.*\//, "");
  const hit = DEFAULTS.find(([re]) => re.test(name));
  return hit ? { ...hit[1], known: true } : { ...FREE, known: false };
}

/** A catalog entry's prices: each one set on the entry, else the default for its model name. */
export function pricesOf(
  model: string,
  own?: { [K in keyof Prices]?: number | null } | null,
): Prices {
  const d = defaultPrices(model);
  return {
    input: own?.input ?? d.input,
    output: own?.output ?? d.output,
    cacheRead: own?.cacheRead ?? d.cacheRead,
    cacheWrite: own?.cacheWrite ?? d.cacheWrite,
  };
}

/** A call's cost in micro-USD, each part rounded to the nearest micro-USD, the total their sum. */
export function costOf(t: Tokens, p: Prices): Cost {
  const part = (n: number, price: number) => Math.round((n * price) / 1e6);
  const c = {
    input: part(t.input, p.input),
    output: part(t.output, p.output),
    cacheRead: part(t.cacheRead, p.cacheRead),
    cacheWrite: part(t.cacheWrite, p.cacheWrite),
  };
  return { ...c, total: c.input + c.output + c.cacheRead + c.cacheWrite };
}
