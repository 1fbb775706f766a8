#!/usr/bin/env node
// The `ambit` command: runs the bundle that `npm run build:cli` writes to dist/ (the repository's
// `npm install` builds it through its `prepare` script), or says how to build it.
const bundle = new URL("../dist/ambit.js", import.meta.url);
try {
  await import(bundle.href);
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist/ambit.js"))
    throw err;
  process.stderr.write(
    "ambit: the CLI is not built yet; run `npm run build:cli` (or `npm install`) in the Ambit repository\n",
  );
  process.exitCode = 1;
}
