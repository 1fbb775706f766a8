// A real platform for the browser tests, started the way the e2e tests start one: `wrangler dev`
// (test/e2e/helpers.ts), a team, a host runner in this process with the real ambit harness, and a
// scripted model server (test/fakes/model-server.ts) as the team's catalog model.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Host } from "../../packages/runner/src/host.ts";
import { type ModelServer, type Script, startModelServer } from "../fakes/model-server.ts";
import { mintSignInLink } from "../../scripts/lib/bootstrap.ts";
import { type E2eServer, startE2eServer } from "../e2e/helpers.ts";
import { inProcessHost, post, useModelServer } from "../e2e/runner-setup.ts";

export const MODEL = "fake-gpt";
export const POOL = "browser-pool";

export type ConsolePlatform = {
  s: E2eServer;
  model: ModelServer;
  host: Host;
  stop: () => Promise<void>;
};

/** `vars`: more platform variables (a fake vendor's URL, PUBLIC_URL) over the defaults. */
export async function startConsolePlatform(
  script: Script,
  vars: Record<string, string> = {},
): Promise<ConsolePlatform> {
  const [s, model] = await Promise.all([
    startE2eServer({
      teamName: "Browser team",
      // every test signs in from 127.0.0.1; the limit itself is tested in test/security/
      vars: { SIGN_INS_PER_IP_PER_MINUTE: "1000", ...vars },
    }),
    startModelServer(script),
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), "ambit-browser-"));
  await useModelServer(s, MODEL, model.url);
  const host = await inProcessHost(s, dir, POOL, { capacity: 4 });
  return {
    s,
    model,
    host,
    stop: async () => {
      await host.stop();
      await model.close();
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new member of the team with `role`, and an API key of theirs (minted by the owner). */
export async function addMember(s: E2eServer, role: "viewer" | "member" | "admin") {
  const member = await post(s, "/api/v1/team/members", {
    email: `${role}-${randomUUID()}@example.com`,
    display_name: `A ${role}`,
    role,
  });
  const uid = member.uid ?? member.user_uid ?? member.member?.uid ?? member.user?.uid;
  const key = await post(s, "/api/v1/api-keys", { name: `${role} key`, user_uid: uid });
  return { uid: uid as string, key: key.key as string };
}

/** A one-time sign-in link for the team's owner, written into its D1 as `npm run sign-in-link` does. */
export async function ownerSignInLink(s: E2eServer): Promise<string> {
  const state = { port: s.server.port, persistTo: s.stateDir, stateDir: s.stateDir, marker: "" };
  const link = await mintSignInLink(state, { teamId: s.team.uid, ownerId: s.owner.uid });
  if (!link) throw new Error("no sign-in link: the owner is not a member");
  return link.replace(/^http:\/\/localhost:\d+/, s.url);
}
