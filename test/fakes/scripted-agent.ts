// A script for the model server (model-server.ts) that makes the built-in `ambit` harness act out
// the prompt, in the directive language of the shell test harness (shell-harness.ts), so e2e
// tests drive the real agent loop, tools and model gateway with prompts a person can read:
//   <a shell command>  one `run_shell_command` tool call (in the workspace)
//   #ask <question>    an `ask_user` tool call (the run is BLOCKED until a follow-up); the answer
//                      is said ("answer: …") and is $ANSWER for the following commands
//   #wait-followup     `sleep 1` tool calls until a follow-up arrives (the loop adds follow-ups
//                      as user messages); it is said ("follow-up: …") and is $FOLLOWUP
//   #say <text>        said with the next turn (the final turn says what is left, or "Done.");
//                      what is pending when a turn goes out is one message, lines joined
// Stateless: each model call replays the conversation it is sent (OpenAI chat completions, the
// catalog model's dialect) to find the next step, so one server serves any number of runs; a run
// resumed from its checkpoint plays the prompt of its last execution.
import type { RecordedRequest, ScriptedTurn } from "./model-server.ts";

type Step =
  | { kind: "sh"; command: string }
  | { kind: "ask"; question: string }
  | { kind: "wait" }
  | { kind: "say"; text: string };

type Message = {
  role: string;
  content?: string | null;
  tool_calls?: { id: string }[];
  tool_call_id?: string;
};

/** A waiting turn's tool call id: not a step of the prompt. */
const POLL = "poll-";

export function parseSteps(prompt: string): Step[] {
  const steps: Step[] = [];
  for (const raw of prompt.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#ask ")) steps.push({ kind: "ask", question: line.slice(5) });
    else if (line === "#wait-followup") steps.push({ kind: "wait" });
    else if (line.startsWith("#say ")) steps.push({ kind: "say", text: line.slice(5) });
    else steps.push({ kind: "sh", command: line });
  }
  return steps;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The command with the variables it names set first (as the shell harness exported them). */
function withVars(command: string, vars: Record<string, string>) {
  const set = Object.entries(vars)
    .filter(([k]) => command.includes(`$${k}`))
    .map(([k, v]) => `${k}=${quote(v)}; `)
    .join("");
  return `${set}${command}`;
}

/**
 * The messages of the conversation's last execution: a run resumed from a checkpoint (a follow-up
 * after it ended) sends its earlier turns too, and its new prompt is the user message after a
 * turn that ended (an assistant answer without tool calls). Follow-ups during a turn come after a
 * tool call, and stay in it.
 */
function lastExecution(messages: Message[]): Message[] {
  let start = 0;
  messages.forEach((m, i) => {
    if (m.role !== "user" || i === 0) return;
    const before = messages.slice(0, i).findLast((x) => x.role !== "user" && x.role !== "system");
    if (before?.role === "assistant" && !before.tool_calls?.length) start = i;
  });
  return messages.slice(start);
}

/** The next turn of the conversation in `req` (a chat completions request). */
export function scriptedAgentTurn(req: RecordedRequest): ScriptedTurn {
  const messages = lastExecution((req.body?.messages ?? []) as Message[]);
  const users = messages.filter((m) => m.role === "user").map((m) => String(m.content ?? ""));
  const steps = parseSteps(users[0] ?? "");
  const followups = users.slice(1);
  // the turns that played steps (a waiting turn plays none), each with its tool's answer
  const played = messages
    .filter((m) => m.role === "assistant" && !m.tool_calls?.[0]?.id.startsWith(POLL))
    .map((m) => {
      const id = m.tool_calls?.[0]?.id;
      return messages.find((r) => r.role === "tool" && r.tool_call_id === id)?.content ?? "";
    });
  const polls = messages.filter((m) => m.role === "assistant").length - played.length;
  const vars: Record<string, string> = {};
  let said: string[] = [];
  let turn = 0;
  let used = 0;
  const text = () => (said.length ? said.join("\n") : undefined);
  for (const step of steps) {
    if (step.kind === "say") said.push(step.text);
    else if (step.kind === "wait") {
      const next = followups[used];
      if (next === undefined)
        return {
          toolCalls: [
            { id: `${POLL}${polls + 1}`, name: "run_shell_command", args: { command: "sleep 1" } },
          ],
        };
      used++;
      vars.FOLLOWUP = next;
      said.push(`follow-up: ${next}`);
    } else if (turn < played.length) {
      // this step was played: what was said went with it
      const answer = played[turn++];
      said = [];
      if (step.kind === "ask") {
        vars.ANSWER = answer;
        said.push(`answer: ${answer}`);
      }
    } else {
      const id = `step-${turn + 1}`;
      return step.kind === "ask"
        ? { text: text(), toolCalls: [{ id, name: "ask_user", args: { question: step.question } }] }
        : {
            text: text(),
            toolCalls: [
              { id, name: "run_shell_command", args: { command: withVars(step.command, vars) } },
            ],
          };
    }
  }
  return { text: text() ?? "Done." };
}
