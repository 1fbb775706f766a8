import { z } from "zod";

/** RFC 3339 timestamp as the API writes it (UTC, milliseconds). */
export const Timestamp = z.string().describe("RFC 3339 timestamp");

export const PageInfo = z.object({
  has_next_page: z.boolean(),
  next_cursor: z.string().optional().describe("opaque; pass back as `cursor` with the same sort"),
});
export type PageInfo = z.infer<typeof PageInfo>;

export const Role = z.enum(["owner", "admin", "member", "viewer"]);
export type Role = z.infer<typeof Role>;

export const UserProfile = z.object({
  type: z.enum(["user", "service_account"]).optional(),
  uid: z.string().optional(),
  display_name: z.string().optional(),
  email: z.string().optional(),
  photo_url: z.string().optional(),
});
export type UserProfile = z.infer<typeof UserProfile>;

export const Scope = z.object({
  type: z.enum(["User", "Team"]),
  uid: z.string().optional(),
});
export type Scope = z.infer<typeof Scope>;
