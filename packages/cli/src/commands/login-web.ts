import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { Ambit } from "@ambit/sdk";
import { CliError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import type { Io } from "../output.ts";

// `ambit login --web`, like `gh auth login --web`: a code pair from the server, the console's
// approval page opened in the browser (its URL printed too), then polls until a signed-in person
// approves and the server hands over an API key for them, named after this machine.

/** Opens `url` in the desktop's browser, if there is one; the printed URL is the fallback. */
function openBrowser(url: string, env: NodeJS.ProcessEnv) {
  if (env.AMBIT_NO_BROWSER || env.CI) return;
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => {}); // no browser here: the URL is printed
    child.unref();
  } catch {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the device login against `baseURL`; resolves with the new API key. */
export async function loginWeb(baseURL: string, io: Io, json: boolean): Promise<string> {
  const client = new Ambit({ apiKey: null, baseURL, maxRetries: 2 });
  const pair = await client.auth.device.code({ client_name: hostname() });
  const say = json ? io.err : io.out;
  say.write(
    `Your one-time code: ${pair.user_code}\n` +
      `Approve this machine (${hostname()}) in your browser, signed in to the console:\n` +
      `  ${pair.verification_uri_complete}\n` +
      "Waiting for approval (Ctrl-C to stop)…\n",
  );
  openBrowser(pair.verification_uri_complete, io.env);
  let interval = pair.interval;
  const deadline = Date.now() + pair.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    const answer = await client.auth.device.poll({ device_code: pair.device_code });
    switch (answer.status) {
      case "approved":
        return answer.api_key;
      case "slow_down":
      case "authorization_pending":
        interval = answer.interval;
        continue;
      case "access_denied":
        throw new CliError(
          "the sign-in was denied in the browser",
          EXIT.AUTH,
          "run `ambit login --web` again to retry",
        );
      case "expired_token":
        break;
    }
    break;
  }
  throw new CliError(
    "the code expired before anyone approved it (ten minutes)",
    EXIT.AUTH,
    "run `ambit login --web` again, or paste an API key with `ambit login`",
  );
}
