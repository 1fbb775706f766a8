import { Hono } from "hono";
import type { AppEnv } from "../middleware/types.ts";

/** Liveness: answers without touching storage (the runtime's throughput floor in benchmarks). */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", (c) => c.json({ ok: true }));
