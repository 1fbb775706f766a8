// The Worker globals that src/integrations/github names, for this Node program: the module uses
// only fetch, WebCrypto, jose and D1, so its tests run in Node against the fake GitHub
// (test/fakes/github-rest.ts) and a real D1 from Miniflare (d1.ts). The Worker program
// (tsconfig.json) checks the same files against the real `Env` of worker-configuration.d.ts.
type D1Database = Awaited<ReturnType<import("miniflare").Miniflare["getD1Database"]>>;
interface Env {
  DB: D1Database;
  PUBLIC_URL?: string;
  JWT_SECRET: string;
  SECRETS_KEY: string;
}
