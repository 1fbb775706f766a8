import { CliError, type Command, UsageError } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson } from "../output.ts";

export const integrationLink: Command = {
  path: ["integration", "link"],
  summary:
    "Link your account in an integration's tool to you (prints a one-time code to type there)",
  args: "slack [<uid>]",
  minArgs: 1,
  examples: ["ambit integration link slack", "ambit integration link slack $INTEGRATION"],
  async run({ positionals, client, io, json }) {
    const cmd = "ambit integration link";
    const [type, uid] = positionals;
    if (type !== "slack") throw new UsageError(`only slack links accounts, not '${type}'`, cmd);
    const c = client();
    let id = uid;
    if (!id) {
      const mine = (await c.integrations.list()).integrations.filter((i) => i.type === type);
      if (mine.length !== 1)
        throw new CliError(
          mine.length
            ? `the team has ${mine.length} slack integrations; name one`
            : "the team has no slack integration; an admin creates one with `ambit integration create slack --type slack`",
          EXIT.USAGE,
          mine.length
            ? `ambit integration link slack <uid> (one of ${mine.map((i) => i.uid).join(", ")})`
            : undefined,
        );
      id = mine[0].uid;
    }
    const code = await c.integrations.createLinkCode(id);
    if (json) return (printJson(io, code), 0);
    io.out.write(`${code.instructions}\n(valid until ${code.expires_at}, once)\n`);
    return 0;
  },
};
