import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { MAX_CHECKPOINT_BYTES } from "@ambit/protocol";
import { MAX_ARTIFACT_BYTES } from "../services/artifacts.ts";
import type { AppEnv } from "./types.ts";

/** Refuses request bodies over `MAX_BODY_BYTES` with 413 before anything reads them. */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  // file artifacts and checkpoints are uploaded whole; everything else is JSON
  const maxSize = c.req.path.endsWith("/artifacts/files")
    ? MAX_ARTIFACT_BYTES
    : c.req.method === "PUT" && /\/checkpoints\/[^/]+$/.test(c.req.path)
      ? MAX_CHECKPOINT_BYTES
      : getConfig(c.env).MAX_BODY_BYTES;
  return honoBodyLimit({
    maxSize,
    onError: () => {
      throw new AppError(
        "payload_too_large",
        `the request body is larger than the limit of ${maxSize} bytes; send less`,
      );
    },
  })(c, next);
});
