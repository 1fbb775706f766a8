import { Ambit, AuthenticationError } from "@ambit/sdk";
import { CliError, type Command, str, UsageError } from "../command.ts";
import { configPath, readConfig, resolveSettings, writeConfig } from "../config.ts";
import { EXIT } from "../exit-codes.ts";
import { loginWeb } from "./login-web.ts";
import { printJson } from "../output.ts";
import { readSecret } from "../secret-input.ts";

export const login: Command = {
  path: ["login"],
  summary: "Store the server URL and your API key in your config directory",
  description:
    "--web: approve this machine in the browser (signed in to the console, e.g. with your team's single sign-on);\n" +
    "the server then mints an API key for you named after this machine (revocable in the console's key list).\n" +
    "Otherwise the key is read from a hidden prompt, or from stdin when it is piped, and checked against the server before it is saved\n" +
    "to $XDG_CONFIG_HOME/ambit/config.json (default ~/.config/ambit/config.json, mode 0600).\n" +
    "AMBIT_BASE_URL and AMBIT_API_KEY, when set, override what is stored.",
  options: {
    url: {
      type: "string",
      value: "<url>",
      description:
        "the platform's address, e.g. http://localhost:8787 (default: AMBIT_BASE_URL, the stored URL, or http://localhost:8787)",
    },
    web: {
      type: "boolean",
      description:
        "sign in through the browser: shows a code, opens the console's approval page (AMBIT_NO_BROWSER=1: only prints it)",
    },
    key: {
      type: "string",
      value: "<key>",
      description:
        "the API key as an argument, for CI only: it lands in shell history and process lists",
    },
  },
  examples: [
    "ambit login",
    "ambit login --web --url https://ambit.example.com",
    "ambit login --url https://ambit.example.com",
    'printf %s "$AMBIT_KEY" | ambit login --url http://localhost:8787',
  ],
  async run({ values, io, json }) {
    const baseURL = str(values.url) ?? resolveSettings(io.env).baseURL;
    let apiKey = str(values.key);
    if (values.web && apiKey) throw new UsageError("give --web or --key, not both", "login");
    if (values.web) apiKey = await loginWeb(baseURL, io, json);
    else if (apiKey)
      io.err.write(
        'warning: --key puts the key in your shell history and process list; prefer the prompt or a pipe (printf %s "$KEY" | ambit login)\n',
      );
    else apiKey = await readSecret(io, `API key for ${baseURL}: `);
    if (!apiKey)
      throw new CliError(
        "no API key given",
        EXIT.USAGE,
        'paste the key at the prompt, or pipe it: printf %s "$KEY" | ambit login',
      );
    const client = new Ambit({ apiKey, baseURL, maxRetries: 1 });
    const team = await client.team.retrieve().catch((err) => {
      if (err instanceof AuthenticationError)
        throw new CliError(
          `${baseURL} refused this key: ${err.detail ?? err.message}`,
          EXIT.AUTH,
          "check that you copied the whole key (it starts with ambit_) and that it is not revoked or expired",
        );
      throw err;
    });
    const file = configPath(io.env);
    writeConfig({ ...readConfig(file), base_url: baseURL, api_key: apiKey }, file);
    if (json)
      printJson(io, {
        base_url: client.baseURL.replace(/\/api\/v1$/, ""),
        team: { uid: team.uid, name: team.name },
        caller: team.caller,
        config_path: file,
      });
    else
      io.out.write(
        `Logged in to ${baseURL} as ${team.caller.type} ${team.caller.uid} (${team.caller.role}) on team ${team.name}.\nSaved to ${file}\n`,
      );
    return 0;
  },
};

export const logout: Command = {
  path: ["logout"],
  summary: "Forget the stored API key",
  examples: ["ambit logout"],
  async run({ io, json }) {
    const file = configPath(io.env);
    const { api_key: _dropped, ...rest } = readConfig(file);
    writeConfig(rest, file);
    if (json) printJson(io, { logged_out: true, config_path: file });
    else io.out.write(`Removed the API key from ${file}\n`);
    return 0;
  },
};
