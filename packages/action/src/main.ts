// The action's entry point (bundled to dist/index.js): the runner starts it with the step's
// environment and reads its exit code, the files it appended to, and its stdout.
import { runAction } from "./run-action.ts";

const code = await runAction({
  env: process.env,
  out: process.stdout,
  // GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later: the run is cancelled with it
  onCancelSignal: (stop) => {
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    };
  },
});
// a stray handle (a socket closing slowly) must not hold a finished step open
process.exit(code);
