import { createRoute, z } from "@hono/zod-openapi";
import {
  ArtifactItem,
  ArtifactResponse,
  ReportArtifactRequest,
  UploadFileArtifactQuery,
} from "@ambit/protocol";
import type { Context } from "hono";
import { noteAudit } from "../middleware/audit.ts";
import type { AppEnv } from "../middleware/types.ts";
import {
  type ArtifactWriter,
  artifactDownloadUrl,
  authorizeArtifactWrite,
  getArtifact,
  readArtifactContent,
  reportArtifact,
  uploadFileArtifact,
} from "../services/artifacts.ts";
import { apiKeyScopeFirst } from "../middleware/scope.ts";
import { bearer, bearerOnly, newRouter, problems, serviceCtx } from "./ctx.ts";

/** Uploads carry no session or `requireAuth`: their audit entry names who the upload proved. */
const auditWriter = (c: Context<AppEnv>, w: ArtifactWriter) =>
  noteAudit(c, {
    teamId: w.teamId,
    actor: w.keyId
      ? { type: "key", id: w.keyId, memberId: w.memberId }
      : { type: "host", id: `run:${w.runId}`, name: "the run's host (its HOST token)" },
  });

const RunParams = z.object({ runId: z.string().min(1).max(64) });
const UidParams = z.object({ artifactUid: z.string().min(1).max(64) });
const hostSecurity = [...bearerOnly, { attachToken: [] }];
const created = {
  201: {
    description: "The artifact",
    content: { "application/json": { schema: ArtifactItem.extend({ artifact_uid: z.string() }) } },
  },
};

// Uploads authenticate themselves (the run's HOST token, or an admin's API key), and the signed
// download link carries its own token, so these are mounted before the API-key middleware.
export const artifactUploadRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/artifacts",
      tags: ["Artifacts"],
      security: hostSecurity,
      middleware: [apiKeyScopeFirst],
      summary:
        "Report a run's pull request or external reference (the run's host, or an admin key)",
      request: {
        params: RunParams,
        query: z.object({ token: z.string().max(4000).optional() }),
        body: {
          required: true,
          content: { "application/json": { schema: ReportArtifactRequest } },
        },
      },
      responses: { ...created, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const writer = await authorizeArtifactWrite({
        env: c.env,
        runId: c.req.valid("param").runId,
        authorization: c.req.header("authorization"),
        token: c.req.valid("query").token,
      });
      auditWriter(c, writer);
      return c.json(await reportArtifact({ env: c.env, writer, input: c.req.valid("json") }), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/runs/{runId}/artifacts/files",
      tags: ["Artifacts"],
      security: hostSecurity,
      middleware: [apiKeyScopeFirst],
      summary: "Upload a file of a run (stored in R2, listed as a FILE artifact)",
      description:
        "The request body is the file's bytes; its Content-Type becomes the artifact's mime_type. At most 25 MiB.",
      request: {
        params: RunParams,
        query: UploadFileArtifactQuery,
        body: {
          required: true,
          content: {
            "application/octet-stream": { schema: z.string().describe("the file's bytes") },
          },
        },
      },
      responses: { ...created, ...problems(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const writer = await authorizeArtifactWrite({
        env: c.env,
        runId: c.req.valid("param").runId,
        authorization: c.req.header("authorization"),
        token: query.token,
      });
      auditWriter(c, writer);
      return c.json(
        await uploadFileArtifact({
          env: c.env,
          writer,
          query,
          body: await c.req.arrayBuffer(),
          contentType: c.req.header("content-type"),
        }),
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/artifacts/{artifactUid}/content",
      tags: ["Artifacts"],
      security: [],
      summary: "A file artifact's bytes, through the signed link `download` redirects to",
      request: { params: UidParams, query: z.object({ token: z.string().min(1).max(4000) }) },
      responses: {
        200: {
          description: "The file",
          content: { "application/octet-stream": { schema: z.string() } },
        },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const file = await readArtifactContent({
        env: c.env,
        uid: c.req.valid("param").artifactUid,
        token: c.req.valid("query").token,
      });
      return new Response(file.body, {
        headers: {
          "content-type": file.contentType,
          "content-length": String(file.size),
          "content-disposition": `attachment; filename="${file.filename.replace(/["\\\r\n]/g, "_")}"`,
          "x-content-type-options": "nosniff",
          "cache-control": "private, no-store",
        },
      }) as never;
    },
  );

export const artifactRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/artifacts/{artifactUid}",
      tags: ["Artifacts"],
      security: bearer,
      summary: "An artifact; files come with a short-lived download_url",
      request: { params: UidParams },
      responses: {
        200: {
          description: "The artifact",
          content: { "application/json": { schema: ArtifactResponse } },
        },
        ...problems(400, 401, 404),
      },
    }),
    async (c) =>
      c.json(await getArtifact({ ctx: serviceCtx(c), uid: c.req.valid("param").artifactUid }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/artifacts/{artifactUid}/download",
      tags: ["Artifacts"],
      security: bearer,
      summary: "Redirect to a file artifact's signed download link",
      request: { params: UidParams },
      responses: {
        302: { description: "Location: the signed link (valid 10 minutes)" },
        ...problems(400, 401, 404),
      },
    }),
    async (c) => {
      const url = await artifactDownloadUrl({
        ctx: serviceCtx(c),
        uid: c.req.valid("param").artifactUid,
      });
      return new Response(null, {
        status: 302,
        headers: {
          location: url,
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
        },
      }) as never;
    },
  );
