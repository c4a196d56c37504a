import { seedDemo } from "../../core/inventory.js";
import type { CommandDefinition, CommandGroup } from "../command.js";
import { table } from "../table.js";

type NoOptions = Record<string, never>;

// The migrator and withClient load pg: imported inside run, never by --help.
export const migrateCommand: CommandDefinition<NoOptions> = {
  name: "migrate",
  summary: "apply pending migrations (safe to run twice, or from two places at once)",
  examples: ["hotel db migrate --database-url postgresql://hotel@db.internal/hotel"],
  parse: () => ({}),
  async run(_options, deps) {
    const [{ withClient }, { migrate }] = await Promise.all([import("../../db/database.js"), import("../../db/migrate.js")]);
    const db = await deps.database({ poolSize: 1 });
    const applied = await withClient(db, (client) => migrate(client));
    deps.out.result({ applied, server: db.server }, () =>
      applied.length === 0 ? `Database is up to date (${db.server}).` : `Applied ${applied.length} migration(s): ${applied.join(", ")}`,
    );
    return 0;
  },
};

export const statusCommand: CommandDefinition<NoOptions> = {
  name: "status",
  summary: "list applied and pending migrations",
  examples: ["hotel db status"],
  parse: () => ({}),
  async run(_options, deps) {
    const [{ withClient }, { migrationStatus }] = await Promise.all([import("../../db/database.js"), import("../../db/migrate.js")]);
    const db = await deps.database({ poolSize: 1 });
    const migrations = await withClient(db, (client) => migrationStatus(client));
    const pending = migrations.filter((m) => m.state !== "applied").length;
    deps.out.result({ server: db.server, migrations, upToDate: pending === 0 }, () =>
      [
        `Database: ${db.server}`,
        table(["MIGRATION", "STATE", "APPLIED AT"], migrations.map((m) => [m.name, m.state, m.appliedAt?.toISOString() ?? "-"])),
        pending === 0 ? "Up to date." : `${pending} migration(s) not applied: run \`hotel db migrate\`.`,
      ].join("\n"),
    );
    return 0;
  },
};

export const seedCommand: CommandDefinition<NoOptions> = {
  name: "seed",
  summary: "load the demo inventory: standard 10, deluxe 5, presidential 2 (safe to run twice)",
  examples: ["hotel db seed"],
  parse: () => ({}),
  async run(_options, deps) {
    const db = await deps.database({ poolSize: 1 });
    const result = await seedDemo(deps.hotel(db));
    deps.out.result(result, () =>
      result.suitesCreated === 0
        ? "Demo inventory already present: standard 10, deluxe 5, presidential 2."
        : `Loaded the demo inventory: ${result.tiersCreated} tier(s), ${result.suitesCreated} suite(s) (standard 10, deluxe 5, presidential 2).`,
    );
    return 0;
  },
};

export const dbCommands: CommandGroup = {
  name: "db",
  summary: "database schema and demo data",
  examples: ["hotel db migrate", "hotel db status --json", "hotel db seed"],
  subcommands: [migrateCommand, statusCommand, seedCommand],
};
