// A real OpenID provider (`oidc-provider`, certified) on 127.0.0.1 for the single sign-on tests:
// one confidential client, PKCE required, and people whose emails (verified or not) are in two
// domains. Its login and consent screens are replaced by a scripted interaction: whoever the test
// names in `signInAs()` signs in and consents, as a person at the provider's forms would.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Person = { email: string; email_verified: boolean; name: string };

export const PEOPLE: Record<string, Person> = {
  ada: { email: "ada@alpha.example", email_verified: true, name: "Ada Alpha" },
  bob: { email: "bob@alpha.example", email_verified: true, name: "Bob Alpha" },
  cy: { email: "cy@beta.example", email_verified: true, name: "Cy Beta" },
  dee: { email: "dee@alpha.example", email_verified: false, name: "Dee Unverified" },
};

export type FakeOidcProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** who signs in at the next interaction (a key of `PEOPLE`, or another account id) */
  signInAs: (accountId: string) => void;
  /** the next token response's ID token has one signature byte changed */
  tamperNextIdToken: () => void;
  /** adds an account (e.g. the team owner's email) */
  addPerson: (accountId: string, person: Person) => void;
  close: () => Promise<void>;
};

/** Starts the provider; `redirectUri` is the platform's `/api/v1/auth/sso/callback`. */
export async function startOidcProvider(redirectUri: string): Promise<FakeOidcProvider> {
  const { default: Provider } = await import("oidc-provider");
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const people: Record<string, Person> = { ...PEOPLE };
  const clientId = "ambit-test";
  const clientSecret = "ambit-test-secret-0123456789abcdefghij";
  let next = "ada";
  let tamper = false;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    scopes: ["openid", "email", "profile"],
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    cookies: { keys: ["fake-oidc-cookie-key-0123456789"] },
    async findAccount(_ctx: unknown, sub: string) {
      const person = people[sub];
      if (!person) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...person }) };
    },
  });
  provider.on("server_error", (_ctx: unknown, err: Error) => console.error("oidc-provider", err));
  const callback = provider.callback();

  /** The login and consent prompts, answered for `next` without a form. */
  async function interact(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "login") {
      await provider.interactionFinished(req, res, { login: { accountId: next } });
      return;
    }
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId });
    grant.addOIDCScope("openid email profile");
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      {
        mergeWithLastSubmission: true,
      },
    );
  }

  /** The token endpoint's answer with its ID token's signature altered. */
  function tamperTokenResponse(res: ServerResponse) {
    const end = res.end.bind(res);
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string) => {
      chunks.push(Buffer.from(chunk));
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: Buffer | string) => {
      if (chunk) chunks.push(Buffer.from(chunk));
      const body = JSON.parse(Buffer.concat(chunks).toString());
      const [h, p, sig] = String(body.id_token).split(".");
      const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
      body.id_token = [h, p, flipped].join(".");
      const out = JSON.stringify(body);
      res.setHeader("content-length", Buffer.byteLength(out));
      void write;
      return end(out);
    }) as typeof res.end;
  }

  server.on("request", (req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      interact(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    if (req.method === "POST" && req.url === "/token" && tamper) {
      tamper = false;
      tamperTokenResponse(res);
    }
    callback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (accountId) => (next = accountId),
    tamperNextIdToken: () => (tamper = true),
    addPerson: (accountId, person) => (people[accountId] = person),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
