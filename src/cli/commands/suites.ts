import type { Command } from "commander";
import { addSuites, disableSuite, enableSuite, listSuites } from "../../core/inventory.js";
import { createContext } from "../context.js";
import { table } from "../table.js";

export async function list(flags: { tier?: string }, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const suites = await listSuites(ctx.hotel(db), flags.tier);
  ctx.out.result({ suites }, () =>
    suites.length === 0
      ? "No suites yet: run `hotel db seed` or `hotel suites add`."
      : table(["SUITE", "TIER", "ACTIVE"], suites.map((s) => [s.number, s.tier, s.active ? "yes" : "no"])),
  );
  return 0;
}

export async function add(numbers: string[], flags: { tier: string }, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const result = await addSuites(ctx.hotel(db), flags.tier, numbers);
  ctx.out.result(result, () =>
    `${result.tierCreated ? `Created tier ${flags.tier}. ` : ""}Added ${result.added.map((s) => s.number).join(", ")} to ${flags.tier}.`,
  );
  return 0;
}

export async function disable(number: string, flags: { force?: boolean }, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const result = await disableSuite(ctx.hotel(db), number, { force: flags.force });
  ctx.out.result(result, () => {
    const kept = result.futureBookings.length;
    return `Disabled suite ${result.suite.number}.${kept > 0 ? ` ${kept} future booking(s) stay on it: check them with \`hotel check\`.` : ""}`;
  });
  return 0;
}

export async function enable(number: string, _flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const suite = await enableSuite(ctx.hotel(db), number);
  ctx.out.result({ suite }, () => `Enabled suite ${suite.number} (${suite.tier}).`);
  return 0;
}
