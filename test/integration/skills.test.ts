import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, insertRunRow } from "../helpers/runs.ts";

const SKILLS = "/api/v1/agent/skills";
const skillMd = (name: string, description: string, body = "Do the steps.") =>
  `---\nname: ${name}\ndescription: "${description}"\n---\n${body}\n`;

describe("skills (GET /agent, POST/DELETE /agent/skills)", () => {
  it("lists registered skills in the Oz shape, grouped by name, with environments that clone the repository", async () => {
    const t = await newTeam("skills");
    const env = (
      await call("POST", "/api/v1/agent/environments", {
        key: t.key,
        body: { name: "tools env", repositories: [{ url: "https://github.com/acme/tools.git" }] },
      })
    ).json.uid;
    const reg = await call("POST", SKILLS, {
      key: t.key,
      body: {
        repo: "acme/tools",
        skill_path: ".claude/skills/deploy/SKILL.md",
        content: skillMd("deploy", "Deploys the app", "Run make deploy."),
      },
    });
    expect(reg.status, reg.text).toBe(200);
    expect(reg.json).toEqual({
      id: "acme/tools:.claude/skills/deploy/SKILL.md",
      name: "deploy",
      error: null,
    });
    await call("POST", SKILLS, {
      key: t.key,
      body: {
        repo: "acme/web",
        skill_path: "skills/deploy/SKILL.md",
        content: skillMd("deploy", "Deploys the web"),
        worker_host: "box",
      },
    });
    await call("POST", SKILLS, {
      key: t.key,
      body: { repo: "acme/web", skill_path: "broken/SKILL.md", content: "no front matter" },
    });
    const runId = await createRun(t.key, { skill: "acme/tools:.claude/skills/deploy/SKILL.md" });
    expect(runId).toBeTruthy();

    const list = await call("GET", "/api/v1/agent", { key: t.key });
    expect(list.status, list.text).toBe(200);
    expect(list.json).toEqual({
      agents: [
        {
          name: "deploy",
          variants: [
            {
              id: "acme/tools:.claude/skills/deploy/SKILL.md",
              description: "Deploys the app",
              base_prompt: "Run make deploy.",
              source: {
                owner: "acme",
                name: "tools",
                skill_path: ".claude/skills/deploy/SKILL.md",
              },
              environments: [{ uid: env, name: "tools env" }],
              last_run_timestamp: expect.any(String),
            },
            {
              id: "acme/web:skills/deploy/SKILL.md",
              description: "Deploys the web",
              base_prompt: "Do the steps.",
              source: {
                owner: "acme",
                name: "web",
                skill_path: "skills/deploy/SKILL.md",
                worker_host: "box",
              },
              environments: [],
              last_run_timestamp: null,
            },
          ],
        },
      ],
    });
    const malformed = (
      await call("GET", "/api/v1/agent?include_malformed_skills=true", { key: t.key })
    ).json.agents;
    expect(malformed.find((a: any) => a.name === "broken/SKILL.md").variants[0].error).toMatch(
      /no front matter/,
    );
    const byRepo = (await call("GET", "/api/v1/agent?repo=acme/web", { key: t.key })).json.agents;
    expect(byRepo[0].variants.map((v: any) => v.id)).toEqual(["acme/web:skills/deploy/SKILL.md"]);
    expectProblem(
      await call("GET", "/api/v1/agent?repo=not-a-repo", { key: t.key }),
      400,
      "invalid_request",
    );

    // registering again refreshes; deleting removes
    await call("POST", SKILLS, {
      key: t.key,
      body: {
        repo: "acme/web",
        skill_path: "skills/deploy/SKILL.md",
        content: skillMd("ship", "Ships"),
      },
    });
    expect(
      (await call("GET", "/api/v1/agent?repo=acme/web", { key: t.key })).json.agents.map(
        (a: any) => a.name,
      ),
    ).toEqual(["ship"]);
    expect(
      (
        await call(
          "DELETE",
          `${SKILLS}?id=${encodeURIComponent("acme/web:skills/deploy/SKILL.md")}`,
          { key: t.key },
        )
      ).status,
    ).toBe(204);
    expect((await call("GET", "/api/v1/agent?repo=acme/web", { key: t.key })).json.agents).toEqual(
      [],
    );
  });

  it("last_run_timestamp counts the runs the caller can see (the run list's rule)", async () => {
    const t = await newTeam("skills");
    const id = "acme/tools:skills/x/SKILL.md";
    await call("POST", SKILLS, {
      key: t.key,
      body: { repo: "acme/tools", skill_path: "skills/x/SKILL.md", content: skillMd("x", "X") },
    });
    const member = await memberKey(t.key, "member");
    const theirs = { teamId: t.teamId, userId: member.userId };
    const lastRun = async () =>
      (await call("GET", "/api/v1/agent", { key: t.key })).json.agents[0].variants[0]
        .last_run_timestamp;
    await insertRunRow(theirs, { skill_spec: id, scope: "User", created_at: 1_000_000 });
    expect(await lastRun()).toBeNull(); // someone else's personal run
    await insertRunRow(theirs, {
      skill_spec: id,
      scope: "User",
      share_team: "VIEWER",
      created_at: 2_000_000,
    });
    expect(await lastRun()).toBe(new Date(2_000_000).toISOString()); // shared with the team
  });

  it("validates; viewers cannot register; other teams see nothing", async () => {
    const t = await newTeam("skills");
    const viewer = await memberKey(t.key, "viewer");
    const other = await newTeam("skills");
    expect(
      expectProblem(
        await call("POST", SKILLS, {
          key: t.key,
          body: { repo: "acme", skill_path: "SKILL.md", content: "x" },
        }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("repo");
    expect(
      expectProblem(
        await call("POST", SKILLS, {
          key: t.key,
          body: { repo: "a/b", skill_path: "README.md", content: "x" },
        }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("skill_path");
    expectProblem(
      await call("POST", SKILLS, {
        key: viewer.key,
        body: { repo: "a/b", skill_path: "SKILL.md", content: skillMd("s", "d") },
      }),
      403,
      "not_authorized",
    );
    await call("POST", SKILLS, {
      key: t.key,
      body: { repo: "a/b", skill_path: "SKILL.md", content: skillMd("s", "d") },
    });
    expect((await call("GET", "/api/v1/agent", { key: viewer.key })).json.agents).toHaveLength(1);
    expect((await call("GET", "/api/v1/agent", { key: other.key })).json.agents).toEqual([]);
    expectProblem(
      await call("DELETE", `${SKILLS}?id=a/b:SKILL.md`, { key: other.key }),
      404,
      "resource_not_found",
    );
  });

  it("PATCH /agent/skills?id= edits a registered skill in place; 404 elsewhere; viewers refused", async () => {
    const t = await newTeam("skills");
    const viewer = await memberKey(t.key, "viewer");
    const other = await newTeam("skills");
    const id = "acme/tools:skills/x/SKILL.md";
    const at = `${SKILLS}?id=${encodeURIComponent(id)}`;
    await call("POST", SKILLS, {
      key: t.key,
      body: {
        repo: "acme/tools",
        skill_path: "skills/x/SKILL.md",
        content: skillMd("x", "X"),
        worker_host: "box",
      },
    });
    const variant = async () =>
      (await call("GET", "/api/v1/agent?include_malformed_skills=true", { key: t.key })).json
        .agents[0].variants[0];

    const edited = await call("PATCH", at, {
      key: t.key,
      body: { content: skillMd("x2", "Edited", "New steps.") },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.json).toEqual({ id, name: "x2", error: null });
    expect(await variant()).toMatchObject({
      id,
      description: "Edited",
      base_prompt: "New steps.",
      source: { skill_path: "skills/x/SKILL.md", worker_host: "box" },
    });
    // the host pool alone, then cleared; a text without front matter is kept with its error
    await call("PATCH", at, { key: t.key, body: { worker_host: "other" } });
    expect((await variant()).source.worker_host).toBe("other");
    await call("PATCH", at, { key: t.key, body: { worker_host: null, content: "plain" } });
    const broken = await variant();
    expect(broken.source.worker_host).toBeUndefined();
    expect(broken.error).toMatch(/no front matter/);
    expect(broken.description).toBe("");

    expectProblem(await call("PATCH", at, { key: t.key, body: {} }), 400, "invalid_request");
    expectProblem(
      await call("PATCH", at, { key: viewer.key, body: { worker_host: "x" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("PATCH", at, { key: other.key, body: { worker_host: "x" } }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("PATCH", `${SKILLS}?id=acme/tools:nope/SKILL.md`, {
        key: t.key,
        body: { worker_host: "x" },
      }),
      404,
      "resource_not_found",
    );
  });
});
