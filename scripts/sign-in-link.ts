// `npm run sign-in-link`: a one-time link that signs the bootstrap owner in to the web console of
// the LOCAL platform (`npm start` prints one at every start). Its row is written straight into the
// local D1, like `npm run owner-key` does a key; the link works once, for 15 minutes.
// AMBIT_PERSIST_TO and PORT mean what they mean to `npm start`.
import path from "node:path";
import { localState, mintSignInLink, readBootstrap } from "./lib/bootstrap.ts";
import { ROOT } from "./lib/wrangler-dev.ts";

const state = localState();
const owner = readBootstrap(state.marker);
if (!owner) {
  const where = path.relative(ROOT, state.stateDir) || state.stateDir;
  console.error(`no bootstrap team in ${where}: run npm start first (it creates one)`);
  process.exit(1);
}
const link = await mintSignInLink(state, owner);
if (!link) {
  console.error(
    'the bootstrap owner (admin@ambit.local) is no longer a member of team "default": ' +
      "no link was made; sign in with an API key instead",
  );
  process.exit(1);
}
console.log(`  Sign in to the console (once, within 15 minutes): ${link}`);
