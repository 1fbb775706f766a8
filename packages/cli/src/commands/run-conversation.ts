import type { Command } from "../command.ts";
import { painter, printJson } from "../output.ts";

export const runConversation: Command = {
  path: ["run", "conversation"],
  summary: "Show a run's conversation: the prompt, the agent's replies, tool calls and results",
  args: "<run-id>",
  minArgs: 1,
  examples: ["ambit run conversation $RUN", "ambit run conversation $RUN --json"],
  async run({ positionals, client, io, json }) {
    const conversation = await client().agent.runs.conversation(positionals[0]);
    if (json) return (printJson(io, conversation), 0);
    const paint = painter(io.out, io.env);
    for (const step of conversation.steps) {
      for (const m of step.messages) {
        for (const block of m.content) {
          const text = blockText(block);
          io.out.write(
            `${paint(m.role === "user" ? "cyan" : m.role === "assistant" ? "green" : "gray", `${m.role}:`)} ${text}\n`,
          );
        }
      }
    }
    if (!conversation.steps.length) io.out.write("The conversation is empty.\n");
    return 0;
  },
};

/** One content block of an Oz conversation as a line of text. */
// biome-ignore lint/suspicious/noExplicitAny: a conversation block is untyped JSON; fields are read defensively
function blockText(b: Record<string, any>): string {
  switch (b.type) {
    case "text":
      return b.text;
    case "action":
      return typeof b.input?.command === "string"
        ? `$ ${b.input.command}`
        : `${b.name} ${JSON.stringify(b.input)}`;
    case "action_result":
      return `${b.name} ${b.state} ${JSON.stringify(b.output)}`;
    case "event":
      return `${b.name} ${JSON.stringify(b.data)}`;
    default:
      return JSON.stringify(b);
  }
}
