// `npm run owner-key`: a fresh owner API key for the bootstrap team of the LOCAL state (the one
// `npm start` created), for when its first key is lost. It writes the key's row straight into the
// local D1 with `wrangler d1 execute --local`: no endpoint, nothing remote, and only the hash is
// stored. AMBIT_PERSIST_TO and PORT mean what they mean to `npm start`.
import { randomInt } from "node:crypto";
import path from "node:path";
import { localD1, localState, readBootstrap, sha256 } from "./lib/bootstrap.ts";
import { ROOT } from "./lib/wrangler-dev.ts";

const state = localState();
const owner = readBootstrap(state.marker);
if (!owner) {
  const where = path.relative(ROOT, state.stateDir) || state.stateDir;
  console.error(
    `no bootstrap team in ${where}: run npm start first (it creates one and prints its key)`,
  );
  process.exit(1);
}
const { teamId, ownerId } = owner;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const uid = (n: number) => Array.from({ length: n }, () => BASE62[randomInt(62)]).join("");
const key = `ambit_${uid(40)}`; // the platform's key format (src/services/api-keys.ts)
const hash = sha256(key);
const now = Date.now();
// Only while the bootstrap owner is still the team's owner: the key acts as them.
const sql = `INSERT INTO api_keys (id, team_id, principal_type, principal_id, name, prefix, key_hash, role, created_by, personal_access, created_at)
SELECT '${uid(22)}', team_id, 'user', user_id, 'owner key (npm run owner-key)', '${key.slice(0, 12)}', '${hash}', 'owner', user_id, 1, ${now}
FROM memberships WHERE team_id = '${teamId}' AND user_id = '${ownerId}' AND role = 'owner';
SELECT count(*) AS n FROM api_keys WHERE key_hash = '${hash}';`;
if ((await localD1(sql, state.persistTo))[0]?.n !== 1) {
  console.error(
    'the bootstrap owner (admin@ambit.local) is no longer the owner of team "default": no key was made; ask the team\'s owner for one',
  );
  process.exit(1);
}
console.log(`
  A new owner API key for the bootstrap team "default" (admin@ambit.local) — shown this once:

    ${key}

  export AMBIT_API_KEY=${key}
  export AMBIT_BASE_URL=http://localhost:${state.port}

  Earlier keys still work: \`npx ambit api-key list\` shows them, \`npx ambit api-key delete <uid>\` revokes one.`);
