import type { SsoConfig, SsoSetParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError } from "../command.ts";
import { printJson } from "../output.ts";
import { readSecret } from "../secret-input.ts";

// `ambit sso get|set|delete`: the team's single sign-on (admins; docs/sso.md).

const show = (c: SsoConfig) =>
  `${[
    `Provider:        ${c.provider}`,
    `Issuer:          ${c.issuer}`,
    `Client id:       ${c.client_id}`,
    "Client secret:   (set; never shown)",
    `Allowed domains: ${c.allowed_domains.join(", ")}`,
    `New people join: ${c.default_role}`,
    `SSO required:    ${c.required ? "yes (the console takes no key or link sign-in)" : "no"}`,
    `Redirect URI:    ${c.redirect_uri}  (register it with the provider)`,
    `Sign-in URL:     ${c.sign_in_url}`,
  ].join("\n")}\n`;

export const ssoGet: Command = {
  path: ["sso", "get"],
  summary: "Show the team's single sign-on (admins)",
  examples: ["ambit sso get", "ambit sso get --json"],
  async run({ client, io, json }) {
    const sso = await client().team.sso.retrieve();
    if (json) return (printJson(io, sso), 0);
    io.out.write(show(sso));
    return 0;
  },
};

export const ssoSet: Command = {
  path: ["sso", "set"],
  summary: "Set the team's single sign-on: an OpenID Connect provider, or GitHub (admins)",
  description:
    "Replaces the settings whole. The client secret is read from a hidden prompt, or from stdin when it is piped\n" +
    "(--keep-secret keeps the stored one). The issuer's /.well-known/openid-configuration is checked now.\n" +
    "Register the redirect URI it prints with the provider. See docs/sso.md.",
  options: {
    provider: {
      type: "string",
      value: "<oidc|github>",
      description: "oidc (default): any OpenID Connect provider; github: a GitHub OAuth app",
    },
    issuer: {
      type: "string",
      value: "<url>",
      description:
        "the OpenID provider's issuer URL (github: https://github.com, or an Enterprise Server's URL)",
    },
    "client-id": { type: "string", value: "<id>", description: "the client (app) id" },
    domain: {
      type: "string",
      multiple: true,
      value: "<domain>",
      description: "an email domain whose people may sign in and join (repeat for more)",
    },
    role: {
      type: "string",
      value: "<admin|member|viewer>",
      description: "the role people get on their first sign-in (default member)",
    },
    required: {
      type: "boolean",
      description: "the console accepts only SSO for the team (API keys keep working)",
    },
    "keep-secret": { type: "boolean", description: "keep the stored client secret" },
  },
  examples: [
    "ambit sso set --provider github --client-id Iv1.abc --domain example.com --role viewer --required",
    'printf %s "$SECRET" | ambit sso set --issuer https://idp.example.com --client-id ambit --domain example.com',
  ],
  async run({ values, client, io, json }) {
    const cmd = "ambit sso set";
    const provider = str(values.provider) ?? "oidc";
    if (provider !== "oidc" && provider !== "github")
      throw new UsageError("--provider is oidc or github", cmd);
    const clientId = str(values["client-id"]);
    if (!clientId) throw new UsageError("--client-id is required", cmd);
    const domains = strs(values.domain);
    if (!domains.length) throw new UsageError("give at least one --domain", cmd);
    const body: SsoSetParams = {
      provider,
      issuer: str(values.issuer),
      client_id: clientId,
      allowed_domains: domains,
      default_role: (str(values.role) ?? "member") as SsoSetParams["default_role"],
      required: values.required === true,
    };
    if (!values["keep-secret"]) {
      const secret = await readSecret(io, "Client secret: ");
      if (!secret) throw new UsageError("no client secret given (or pass --keep-secret)", cmd);
      body.client_secret = secret;
    }
    const sso = await client().team.sso.set(body);
    if (json) return (printJson(io, sso), 0);
    io.out.write(show(sso));
    return 0;
  },
};

export const ssoDelete: Command = {
  path: ["sso", "delete"],
  summary: "Remove the team's single sign-on (admins); key and link sign-in work again",
  examples: ["ambit sso delete"],
  async run({ client, io, json }) {
    await client().team.sso.delete();
    if (json) return (printJson(io, { deleted: true }), 0);
    io.out.write("Single sign-on removed.\n");
    return 0;
  },
};
