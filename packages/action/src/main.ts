// The action's entry point (bundled to dist/index.js): the runner starts it with the step's
// environment and reads its exit code, the files it appended to, and its stdout.
import { runAction } from "./run-action.ts";

// GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later: the run is cancelled with it.
// Listening from the start also keeps a signal that comes early from killing the step mid-write.
const cancelled = new AbortController();
process.once("SIGINT", () => cancelled.abort());
process.once("SIGTERM", () => cancelled.abort());

const code = await runAction({
  env: process.env,
  out: process.stdout,
  cancelled: cancelled.signal,
});
// a stray handle (a socket closing slowly) must not hold a finished step open
process.exit(code);
