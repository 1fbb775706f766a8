import { z } from "zod";
import { safeLinkUrl, StringMap } from "./bounds.ts";
import { ArtifactType } from "./runs.ts";
import { Timestamp } from "./common.ts";

/** An artifact a run's host (or an admin's key) reports without a file: a pull request or an external reference. */
export const ReportArtifactRequest = z.discriminatedUnion("artifact_type", [
  z.object({
    artifact_type: z.literal("PULL_REQUEST"),
    data: z.object({ url: safeLinkUrl(), branch: z.string().min(1).max(500) }),
  }),
  z.object({
    artifact_type: z.literal("EXTERNAL_REFERENCE"),
    data: z.object({
      reference_type: z.string().min(1).max(256),
      url: safeLinkUrl(),
      title: z.string().max(500).optional(),
      metadata: StringMap(16 * 1024, z.string().max(1000)).optional(),
    }),
  }),
]);
export type ReportArtifactRequest = z.infer<typeof ReportArtifactRequest>;

/** Query of a file upload: the file's name, where it was in the workspace, and how to label it. */
export const UploadFileArtifactQuery = z.object({
  filename: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !/[\\/\u0000]/.test(s), "filename may not contain '/', '\\' or NUL"),
  filepath: z
    .string()
    .max(1000)
    .optional()
    .describe("where the file was, relative to the run's workspace"),
  title: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  token: z
    .string()
    .max(4000)
    .optional()
    .describe("the run's HOST attach token, for clients that cannot send headers"),
});
export type UploadFileArtifactQuery = z.infer<typeof UploadFileArtifactQuery>;

/** Oz `ArtifactResponse`: for files, `data` carries a short-lived `download_url`. */
export const ArtifactResponse = z.object({
  artifact_uid: z.string(),
  artifact_type: ArtifactType,
  created_at: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type ArtifactResponse = z.infer<typeof ArtifactResponse>;
