import { ok, str, type Tool } from "./types.ts";

/** Asks a person: the run is BLOCKED until someone answers with a follow-up. */
export const askUserTool: Tool = {
  name: "ask_user",
  description:
    "Ask the person who started the run a question and wait for the answer. Use only when you cannot proceed without a decision or information only they have.",
  inputSchema: {
    type: "object",
    properties: { question: { type: "string" } },
    required: ["question"],
  },
  async run(input, _call, ctx) {
    const answer = await ctx.askUser(str(input, "question"), ctx.signal);
    return ok(answer, { answer });
  },
};
