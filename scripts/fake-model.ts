// `npm run fake-model`: the scripted OpenAI-compatible model server of the tests
// (test/fakes/model-server.ts), on its own, to try Ambit without a model key. It answers every
// request with one short reply and no tool calls, so any run ends SUCCEEDED. Ctrl-C stops it.
// FAKE_MODEL_PORT picks its port (default: a free one).
import { startModelServer } from "../test/fakes/model-server.ts";

const reply =
  "This answer comes from Ambit's scripted model server (npm run fake-model), not a real model: " +
  "the run went through the platform, the runner and the agent, and nothing was changed.";

const server = await startModelServer(
  (req) => {
    console.log(
      `  [fake-model] ${req.path} (model ${req.body?.model ?? "?"}): answered with the scripted reply`,
    );
    return { text: reply, usage: { input: 100, output: 30 } };
  },
  { port: Number(process.env.FAKE_MODEL_PORT ?? 0) },
);
const base = `${server.url}/v1`;
console.log(`
  Scripted model server (OpenAI-compatible) at ${base}
  It answers every prompt with one fixed sentence and changes nothing. To use it, in the terminal
  with the two AMBIT_ exports npm start printed:

    printf %s ${base} | npx ambit secret set OPENAI_BASE_URL
    npx ambit agent run -p "Create hello.txt that says hello"

  It needs no OPENAI_API_KEY. Back to a real model: npx ambit secret delete OPENAI_BASE_URL
  Press Ctrl-C to stop.`);

const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
