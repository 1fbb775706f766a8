// GitHub's OAuth web flow as a GitHub Enterprise Server would serve it at its own URL, for the
// single sign-on tests' GitHub preset: `/login/oauth/authorize` (signs in whoever the test names,
// at once), `/login/oauth/access_token` (checks the client secret, the redirect URI and the PKCE
// verifier against the challenge) and `/api/v3/user/emails`.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type GithubEmail = { email: string; primary: boolean; verified: boolean };

export type FakeGithubOauth = {
  url: string;
  clientId: string;
  clientSecret: string;
  /** whose emails the next sign-in returns */
  signInAs: (emails: GithubEmail[]) => void;
  close: () => Promise<void>;
};

export async function startGithubOauth(): Promise<FakeGithubOauth> {
  const clientId = "Iv1.fake";
  const clientSecret = "fake-github-secret";
  let next: GithubEmail[] = [];
  const codes = new Map<
    string,
    { challenge: string; redirectUri: string; emails: GithubEmail[] }
  >();
  const tokens = new Map<string, GithubEmail[]>();
  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, "http://x");
    if (url.pathname === "/login/oauth/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== clientId || q.get("code_challenge_method") !== "S256") {
        return json(res, 400, { error: "bad request" });
      }
      const code = randomBytes(10).toString("hex");
      const redirectUri = q.get("redirect_uri")!;
      codes.set(code, { challenge: q.get("code_challenge")!, redirectUri, emails: next });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const f = new URLSearchParams(body);
      const basic = Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
      const authed =
        (f.get("client_id") === clientId && f.get("client_secret") === clientSecret) ||
        req.headers.authorization === `Basic ${basic}`;
      const grant = codes.get(f.get("code") ?? "");
      codes.delete(f.get("code") ?? "");
      const verifier = createHash("sha256")
        .update(f.get("code_verifier") ?? "")
        .digest("base64url");
      if (!authed || !grant || grant.challenge !== verifier) {
        return json(res, 400, { error: "bad_verification_code" });
      }
      if (grant.redirectUri !== f.get("redirect_uri")) {
        return json(res, 400, { error: "redirect_uri_mismatch" });
      }
      const token = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(token, grant.emails);
      return json(res, 200, { access_token: token, token_type: "bearer", scope: "user:email" });
    }
    if (url.pathname === "/api/v3/user/emails") {
      const emails = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      return emails ? json(res, 200, emails) : json(res, 401, { message: "Bad credentials" });
    }
    json(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientId,
    clientSecret,
    signInAs: (emails) => (next = emails),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
