import { addSuites, disableSuite, enableSuite, listSuites } from "../../core/inventory.js";
import type { CommandDefinition, CommandGroup } from "../command.js";
import { TIER_FILTER } from "../flags.js";
import { table } from "../table.js";

export const listCommand: CommandDefinition<{ tier?: string }, { tier?: string }> = {
  name: "list",
  isDefault: true,
  summary: "list suites and their tiers",
  flags: [TIER_FILTER],
  examples: ["hotel suites list --tier deluxe"],
  parse: (flags) => ({ tier: flags.tier }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const suites = await listSuites(deps.hotel(db), options.tier);
    deps.out.result({ suites }, () =>
      suites.length === 0
        ? "No suites yet: run `hotel db seed` or `hotel suites add`."
        : table(["SUITE", "TIER", "ACTIVE"], suites.map((s) => [s.number, s.tier, s.active ? "yes" : "no"])),
    );
    return 0;
  },
};

export const addCommand: CommandDefinition<{ tier: string; numbers: string[] }, { tier: string }> = {
  name: "add",
  summary: "add suites to a tier (the tier is created if new)",
  arguments: [["<number...>", "suite numbers, e.g. S111 S112"]],
  flags: [{ flags: "--tier <tier>", description: "tier of the new suites", required: true }],
  examples: ["hotel suites add --tier standard S111 S112"],
  parse: (flags, [numbers]) => ({ tier: flags.tier, numbers: numbers as string[] }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const result = await addSuites(deps.hotel(db), options.tier, options.numbers);
    deps.out.result(result, () =>
      `${result.tierCreated ? `Created tier ${options.tier}. ` : ""}Added ${result.added.map((s) => s.number).join(", ")} to ${options.tier}.`,
    );
    return 0;
  },
};

export const disableCommand: CommandDefinition<{ number: string; force: boolean }, { force?: boolean }> = {
  name: "disable",
  summary: "take a suite out of service (refused while it has future bookings, unless --force)",
  arguments: [["<number>", "suite number"]],
  flags: [{ flags: "--force", description: "disable even with future bookings on it" }],
  examples: ["hotel suites disable S104", "hotel suites disable S104 --force"],
  parse: (flags, [number]) => ({ number: String(number), force: flags.force === true }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const result = await disableSuite(deps.hotel(db), options.number, { force: options.force });
    deps.out.result(result, () => {
      const kept = result.futureBookings.length;
      return `Disabled suite ${result.suite.number}.${kept > 0 ? ` ${kept} future booking(s) stay on it: check them with \`hotel check\`.` : ""}`;
    });
    return 0;
  },
};

export const enableCommand: CommandDefinition<{ number: string }> = {
  name: "enable",
  summary: "put a suite back in service",
  arguments: [["<number>", "suite number"]],
  examples: ["hotel suites enable S104"],
  parse: (_flags, [number]) => ({ number: String(number) }),
  async run(options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const suite = await enableSuite(deps.hotel(db), options.number);
    deps.out.result({ suite }, () => `Enabled suite ${suite.number} (${suite.tier}).`);
    return 0;
  },
};

export const suitesCommands: CommandGroup = {
  name: "suites",
  summary: "list, add, disable and enable suites",
  examples: ["hotel suites list", "hotel suites add --tier penthouse PH1 PH2", "hotel suites disable S104", "hotel suites enable S104"],
  subcommands: [listCommand, addCommand, disableCommand, enableCommand],
};
