import { addToken, listTokens, revokeToken, TOKEN_ROLES, tokenName, type TokenRole } from "../../core/tokens.js";
import type { CommandDefinition, CommandGroup } from "../command.js";
import { table } from "../table.js";

/**
 * API tokens of `hotel serve`, per property: add (prints the token once),
 * list (never a secret), revoke (refused on the server's next request).
 * The token's name is the actor of every event written with it.
 */

const addCommand: CommandDefinition<{ name: string; role: TokenRole }, { role: string }> = {
  name: "add",
  summary: "create an API token for `hotel serve` and print it once",
  arguments: [["<name>", "who uses it, e.g. desk-1: recorded as the actor of every change made with it"]],
  flags: [{ flags: "--role <role>", description: "frontdesk (read and write) or readonly (GET only)", default: "frontdesk", choices: TOKEN_ROLES }],
  help: "The token is printed only this once; only a hash of it is stored. With --quiet only the token is printed.",
  examples: ["hotel tokens add desk-1", "hotel tokens add night-audit --role readonly", "TOKEN=$(hotel tokens add desk-2 --quiet)"],
  parse: (flags, [name]) => ({ name: tokenName(String(name ?? "")), role: TOKEN_ROLES.find((role) => role === flags.role) ?? "frontdesk" }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const hotel = deps.hotel(db);
    const added = await addToken(hotel, options.name, options.role);
    const human = deps.out.quiet
      ? added.token
      : `Added ${added.role} token "${added.name}" for property ${hotel.property}. Store it now: it is not shown again.\n${added.token}`;
    deps.out.essential({ name: added.name, role: added.role, token: added.token }, human);
    return 0;
  },
};

const listCommand: CommandDefinition<Record<string, never>> = {
  name: "list",
  isDefault: true,
  summary: "list the API tokens: names, roles, created and last used (never the secrets)",
  help: "Last used moves on at most once a minute per token.",
  examples: ["hotel tokens list", "hotel tokens list --json"],
  parse: () => ({}),
  async run(_options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const hotel = deps.hotel(db);
    const tokens = await listTokens(hotel);
    const when = (iso: string | null): string => (iso === null ? "never" : iso.replace("T", " ").slice(0, 19));
    deps.out.result({ tokens }, () =>
      tokens.length === 0
        ? `No API tokens in property ${hotel.property}: \`hotel serve\` is open on loopback only. Add one with \`hotel tokens add NAME\`.`
        : table(["NAME", "ROLE", "CREATED", "LAST USED"], tokens.map((token) => [token.name, token.role, when(token.createdAt), when(token.lastUsedAt)])),
    );
    return 0;
  },
};

const revokeCommand: CommandDefinition<{ name: string }> = {
  name: "revoke",
  summary: "revoke an API token: `hotel serve` refuses it from the next request on",
  arguments: [["<name>", "the token's name, as `hotel tokens list` shows it"]],
  examples: ["hotel tokens revoke desk-1"],
  parse: (_flags, [name]) => ({ name: tokenName(String(name ?? "")) }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const hotel = deps.hotel(db);
    const revoked = await revokeToken(hotel, options.name);
    deps.out.result({ revoked }, () => `Revoked token "${revoked.name}" (${revoked.role}) of property ${hotel.property}.`);
    return 0;
  },
};

export const tokensCommands: CommandGroup = {
  name: "tokens",
  summary: "API tokens for `hotel serve`: add, list, revoke",
  examples: ["hotel tokens add desk-1", "hotel tokens list", "hotel tokens revoke desk-1"],
  subcommands: [addCommand, listCommand, revokeCommand],
};
