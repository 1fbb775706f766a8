import type { ConfigChange } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import {
  lowerRoleChanges,
  personalSecretsFor,
  UNKNOWN_STARTER,
  withheldMessage,
} from "../../src/lib/personal-secrets.ts";

const piece = (over: Partial<ConfigChange>): ConfigChange => ({
  kind: "environment",
  id: "E1",
  name: "build",
  written_by: "u-member",
  role: "member",
  ...over,
});

describe("lowerRoleChanges", () => {
  it("keeps only pieces written by someone else of a lower role than the creator", () => {
    const pieces = [
      piece({ id: "mine", written_by: "u-admin", role: "member" }), // the creator, even acting with a lower-role key
      piece({ id: "peer", written_by: "u-other-admin", role: "admin" }),
      piece({ id: "above", written_by: "u-owner", role: "owner" }),
      piece({ id: "below", written_by: "u-member", role: "member" }),
      piece({ id: "unknown", written_by: null, role: "member" }),
    ];
    expect(lowerRoleChanges(pieces, { id: "u-admin", role: "admin" }).map((p) => p.id)).toEqual([
      "below",
      "unknown",
    ]);
    expect(lowerRoleChanges(pieces, { id: "u-member", role: "member" })).toEqual([]);
    expect(lowerRoleChanges(pieces, { id: "u-owner", role: "owner" }).map((p) => p.id)).toEqual([
      "mine",
      "peer",
      "below",
      "unknown",
    ]);
  });
});

describe("personalSecretsFor", () => {
  const creator = { type: "user" as const, id: "u-creator" };
  it("gives the creator's when the creator started the execution and nothing was written below them", () => {
    expect(personalSecretsFor({ creatorId: "u-creator", personalAccess: true }, creator)).toEqual({
      of: "u-creator",
    });
    expect(
      personalSecretsFor(
        { creatorId: "u-creator", personalAccess: true, lowerRoleChanges: [] },
        creator,
      ),
    ).toEqual({ of: "u-creator" });
  });
  it("gives nobody's to an execution someone else started, or one nobody recorded", () => {
    const teammate = { type: "user" as const, id: "u-teammate" };
    expect(personalSecretsFor({ creatorId: "u-creator", personalAccess: true }, teammate)).toEqual({
      of: null,
      reason: "started_by_other",
      startedBy: teammate,
    });
    expect(personalSecretsFor({ creatorId: "u-creator", personalAccess: true }, undefined)).toEqual(
      { of: null, reason: "started_by_other", startedBy: UNKNOWN_STARTER },
    );
  });
  it("gives nobody's to a run made, or an execution started, through a key someone else minted for the creator", () => {
    expect(personalSecretsFor({ creatorId: "u-creator", personalAccess: false }, creator)).toEqual({
      of: null,
      reason: "delegated_key",
    });
    const d = personalSecretsFor(
      { creatorId: "u-creator", personalAccess: true },
      { ...creator, delegated: true },
    );
    expect(d).toEqual({ of: null, reason: "delegated_key" });
    if (d.of === null)
      expect(withheldMessage(d, 1)).toMatch(
        /1 personal secret of the run's creator was withheld.*minted for the creator/,
      );
  });
  it("gives nobody's when a frozen piece was written below the creator's role", () => {
    const changes = [piece({})];
    const d = personalSecretsFor(
      { creatorId: "u-creator", personalAccess: true, lowerRoleChanges: changes },
      creator,
    );
    expect(d).toEqual({ of: null, reason: "lower_role_change", changes });
    if (d.of === null)
      expect(withheldMessage(d, 2)).toMatch(
        /2 personal secrets .* were withheld.*environment 'build' \(PUT \/api\/v1\/agent\/environments\/E1\), last written by u-member as member/,
      );
  });
});
