// `npm run owner-key`: a fresh owner API key for the bootstrap team of the LOCAL state (the one
// `npm start` created), for when its first key is lost. It writes the key's row straight into the
// local D1 with `wrangler d1 execute --local`: no endpoint, nothing remote, and only the hash is
// stored. AMBIT_PERSIST_TO and PORT mean what they mean to `npm start`.
import { createHash, randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, wrangler } from "./lib/wrangler-dev.ts";

const port = Number(process.env.PORT ?? 8787);
const persistTo = process.env.AMBIT_PERSIST_TO ? path.resolve(process.env.AMBIT_PERSIST_TO) : undefined;
const stateDir = persistTo ?? path.join(ROOT, ".wrangler/state");
const marker = path.join(stateDir, "ambit-bootstrap.json");

if (!existsSync(marker)) {
  console.error(`no bootstrap team in ${path.relative(ROOT, stateDir) || stateDir}: run npm start first (it creates one and prints its key)`);
  process.exit(1);
}
const { team_uid: teamId, owner_uid: ownerId } = JSON.parse(readFileSync(marker, "utf8")) as { team_uid: string; owner_uid: string };
const ID = /^[0-9A-Za-z]+$/; // what the platform mints (src/lib/ids.ts); nothing else goes into the SQL
if (!ID.test(teamId) || !ID.test(ownerId)) throw new Error(`unexpected ids in ${marker}`);

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const uid = (n: number) => Array.from({ length: n }, () => BASE62[randomInt(62)]).join("");
const key = `ambit_${uid(40)}`; // the platform's key format (src/services/api-keys.ts)
const hash = createHash("sha256").update(key).digest("hex");
const now = Date.now();
// Only while the bootstrap owner is still the team's owner: the key acts as them.
const sql = `INSERT INTO api_keys (id, team_id, principal_type, principal_id, name, prefix, key_hash, role, created_by, personal_access, created_at)
SELECT '${uid(22)}', team_id, 'user', user_id, 'owner key (npm run owner-key)', '${key.slice(0, 12)}', '${hash}', 'owner', user_id, 1, ${now}
FROM memberships WHERE team_id = '${teamId}' AND user_id = '${ownerId}' AND role = 'owner';
SELECT count(*) AS n FROM api_keys WHERE key_hash = '${hash}';`;
const out = await wrangler(["d1", "execute", "DB", "--local", ...(persistTo ? ["--persist-to", persistTo] : []), "--json", "--command", sql], { quiet: true });
const results = JSON.parse(out.slice(out.indexOf("["))) as { results?: { n?: number }[] }[];
if (results.at(-1)?.results?.[0]?.n !== 1) {
  console.error("the bootstrap owner (admin@ambit.local) is no longer the owner of team \"default\": no key was made; ask the team's owner for one");
  process.exit(1);
}
console.log(`
  A new owner API key for the bootstrap team "default" (admin@ambit.local) — shown this once:

    ${key}

  export AMBIT_API_KEY=${key}
  export AMBIT_BASE_URL=http://localhost:${port}

  Earlier keys still work: \`npx ambit api-key list\` shows them, \`npx ambit api-key delete <uid>\` revokes one.`);
