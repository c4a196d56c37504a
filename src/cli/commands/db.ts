import { seedDemo } from "../../core/inventory.js";
import { parseCount } from "../../core/validate.js";
import type { CommandDefinition, CommandGroup } from "../command.js";
import { table } from "../table.js";

type NoOptions = Record<string, never>;

interface MigrateFlags {
  lockWait?: string;
  directUrl?: string;
}

interface MigrateOptions {
  /** --lock-wait, else HOTEL_MIGRATE_LOCK_WAIT_MS (checked in run, where the environment is). */
  lockWait?: string;
  /** --direct-url, else DIRECT_DATABASE_URL. */
  directUrl?: string;
}

// The migrator and withClient load pg: imported inside run, never by --help.
// The migrator needs no session, so it runs through PgBouncer in transaction
// mode; --direct-url is for a pooler that refuses DDL.
export const migrateCommand: CommandDefinition<MigrateOptions, MigrateFlags> = {
  name: "migrate",
  summary: "apply pending migrations (safe to run twice, or from two places at once)",
  flags: [
    { flags: "--lock-wait <ms>", description: "longest wait for another migrator before giving up with exit 75 (default 10000, env HOTEL_MIGRATE_LOCK_WAIT_MS)" },
    {
      flags: "--direct-url <url>",
      description: "migrate over this direct PostgreSQL URL instead of --database-url, e.g. past a pooler that refuses DDL (env DIRECT_DATABASE_URL)",
    },
  ],
  examples: ["hotel db migrate --database-url postgresql://hotel@db.internal/hotel", "hotel db migrate --direct-url postgresql://hotel@db.internal:5432/hotel"],
  parse: (flags) => ({ lockWait: flags.lockWait, directUrl: flags.directUrl }),
  async run(options, deps) {
    const [{ openDatabase, withClient }, { DEFAULT_MIGRATE_LOCK_WAIT_MS, migrate }] = await Promise.all([import("../../db/database.js"), import("../../db/migrate.js")]);
    const rawWait = options.lockWait ?? deps.io.env.HOTEL_MIGRATE_LOCK_WAIT_MS;
    const lockWaitMs = rawWait === undefined || rawWait === "" ? DEFAULT_MIGRATE_LOCK_WAIT_MS : parseCount(rawWait, "lock wait (ms)", 1, 3_600_000);
    const directUrl = options.directUrl ?? (deps.io.env.DIRECT_DATABASE_URL || undefined);
    let db;
    if (directUrl === undefined) db = await deps.database({ poolSize: 1, migrateLockWaitMs: lockWaitMs });
    else {
      const direct = await openDatabase({ databaseUrl: directUrl, env: deps.io.env, poolSize: 1 });
      deps.lifecycle.registerCleanup(() => direct.close());
      db = direct;
    }
    const applied = await withClient(db, (client) => migrate(client, { lockWaitMs }));
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
