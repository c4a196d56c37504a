import type { Command } from "commander";
import { seedDemo } from "../../core/inventory.js";
import { withClient } from "../../db/database.js";
import { migrate as applyMigrations, migrationStatus } from "../../db/migrate.js";
import { createContext } from "../context.js";
import { table } from "../table.js";

export async function migrate(_flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const applied = await withClient(db, (client) => applyMigrations(client));
  ctx.out.result({ applied, server: db.server }, () =>
    applied.length === 0 ? `Database is up to date (${db.server}).` : `Applied ${applied.length} migration(s): ${applied.join(", ")}`,
  );
  return 0;
}

export async function status(_flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const migrations = await withClient(db, (client) => migrationStatus(client));
  const pending = migrations.filter((m) => m.state !== "applied").length;
  ctx.out.result({ server: db.server, migrations, upToDate: pending === 0 }, () =>
    [
      `Database: ${db.server}`,
      table(["MIGRATION", "STATE", "APPLIED AT"], migrations.map((m) => [m.name, m.state, m.appliedAt?.toISOString() ?? "-"])),
      pending === 0 ? "Up to date." : `${pending} migration(s) not applied: run \`hotel db migrate\`.`,
    ].join("\n"),
  );
  return 0;
}

export async function seed(_flags: unknown, command: Command): Promise<number> {
  const ctx = createContext(command);
  const db = await ctx.database({ poolSize: 1 });
  const result = await seedDemo(ctx.hotel(db));
  ctx.out.result(result, () =>
    result.suitesCreated === 0
      ? "Demo inventory already present: standard 10, deluxe 5, presidential 2."
      : `Loaded the demo inventory: ${result.tiersCreated} tier(s), ${result.suitesCreated} suite(s) (standard 10, deluxe 5, presidential 2).`,
  );
  return 0;
}
