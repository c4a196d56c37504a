import { Command, Option } from "commander";

/**
 * The Commander program. Command modules are imported only when their
 * command runs, so `--help` and `--version` never load Prisma or pg.
 */

type Action = (...args: never[]) => Promise<number>;
type Loader = () => Promise<Action>;

export interface ProgramHooks {
  /** Runs a command's action and records its exit code. */
  execute(load: Loader, args: unknown[]): Promise<void>;
}

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

export function buildProgram(version: string, hooks: ProgramHooks): Command {
  const program = new Command("hotel")
    .description("Hotel booking administration on PostgreSQL: book, check availability, cancel; never overbooks.")
    .version(version, "-V, --version")
    .option("--database-url <url>", "PostgreSQL URL (default: $DATABASE_URL, else the embedded server under $HOTEL_HOME)")
    .option("--json", "print exactly one JSON document on stdout")
    .option("--no-color", "no colour (also NO_COLOR=1 or TERM=dumb)")
    .option("-q, --quiet", "print only what scripts need")
    .option("-v, --verbose", "debug logging on stderr: lock waits, retries (also DEBUG=hotel)")
    .option("--property <name>", "the hotel to work on (default: $HOTEL_PROPERTY, else main)")
    .option("--actor <name>", "who is acting, recorded with every change (default: $HOTEL_ACTOR, else the OS user)")
    .option("--lock-timeout <ms>", "longest wait for booking locks before giving up with 503 (default 5000, env HOTEL_LOCK_TIMEOUT_MS)")
    // Usage errors become HotelErrors (exit 64, --json aware) in main.ts; the
    // settings must precede .command() calls, which copy them to subcommands.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .addHelpText(
      "after",
      examples("hotel db seed", "hotel availability --from 2026-12-01 --nights 7", "hotel book --tier standard --check-in 2026-12-01 --nights 2 --guest 'Ada Lovelace'", "hotel stress --n 20"),
    );

  const action =
    (load: Loader) =>
    async (...args: unknown[]): Promise<void> =>
      hooks.execute(load, args);

  program
    .command("book")
    .description("book the lowest-numbered free suite of a tier for a stay")
    .requiredOption("--tier <tier>", "suite tier, e.g. standard")
    .requiredOption("--check-in <date>", "first night, YYYY-MM-DD")
    .addOption(new Option("--check-out <date>", "departure day, YYYY-MM-DD (exclusive)").conflicts("nights"))
    .option("--nights <n>", "number of nights (instead of --check-out)")
    .requiredOption("--guest <name>", "guest name")
    .option("--idempotency-key <key>", "repeat-safe key: a retry with the same key returns the first booking")
    .addHelpText(
      "after",
      examples(
        "hotel book --tier standard --check-in 2026-12-01 --check-out 2026-12-03 --guest 'Ada Lovelace'",
        "hotel book --tier deluxe --check-in 2026-12-24 --nights 3 --guest 'Grace Hopper' --idempotency-key order-8812 --json",
      ),
    )
    .action(action(async () => (await import("./commands/book.js")).run as Action));

  program
    .command("cancel")
    .description("cancel a booking; its suite is free again at once")
    .argument("<booking-id>", "id printed by `hotel book`")
    .addHelpText("after", examples("hotel cancel 42", "hotel cancel 42 --json"))
    .action(action(async () => (await import("./commands/cancel.js")).run as Action));

  program
    .command("bookings")
    .description("list bookings whose stay overlaps [--from, --to)")
    .option("--from <date>", "first night, YYYY-MM-DD")
    .option("--to <date>", "end, exclusive, YYYY-MM-DD")
    .option("--tier <tier>", "only this tier")
    .addOption(new Option("--status <status>", "which bookings").choices(["confirmed", "cancelled", "all"]).default("all"))
    .option("--limit <n>", "at most this many rows", "1000")
    .addHelpText("after", examples("hotel bookings --from 2026-12-01 --to 2026-12-08", "hotel bookings --tier deluxe --status confirmed --json"))
    .action(action(async () => (await import("./commands/bookings.js")).run as Action));

  program
    .command("availability")
    .description("free suites per tier and night")
    .option("--from <date>", "first night, YYYY-MM-DD (default today)")
    .addOption(new Option("--to <date>", "end, exclusive, YYYY-MM-DD").conflicts("nights"))
    .option("--nights <n>", "number of nights to show (default 7)")
    .option("--tier <tier>", "only this tier")
    .addHelpText("after", examples("hotel availability", "hotel availability --from 2031-03-01 --to 2031-03-04 --tier standard --json"))
    .action(action(async () => (await import("./commands/availability.js")).run as Action));

  const suites = program
    .command("suites")
    .description("list, add, disable and enable suites")
    .addHelpText("after", examples("hotel suites list", "hotel suites add --tier penthouse PH1 PH2", "hotel suites disable S104", "hotel suites enable S104"));
  suites
    .command("list", { isDefault: true })
    .description("list suites and their tiers")
    .option("--tier <tier>", "only this tier")
    .addHelpText("after", examples("hotel suites list --tier deluxe"))
    .action(action(async () => (await import("./commands/suites.js")).list as Action));
  suites
    .command("add")
    .description("add suites to a tier (the tier is created if new)")
    .argument("<number...>", "suite numbers, e.g. S111 S112")
    .requiredOption("--tier <tier>", "tier of the new suites")
    .addHelpText("after", examples("hotel suites add --tier standard S111 S112"))
    .action(action(async () => (await import("./commands/suites.js")).add as Action));
  suites
    .command("disable")
    .description("take a suite out of service (refused while it has future bookings, unless --force)")
    .argument("<number>", "suite number")
    .option("--force", "disable even with future bookings on it")
    .addHelpText("after", examples("hotel suites disable S104", "hotel suites disable S104 --force"))
    .action(action(async () => (await import("./commands/suites.js")).disable as Action));
  suites
    .command("enable")
    .description("put a suite back in service")
    .argument("<number>", "suite number")
    .addHelpText("after", examples("hotel suites enable S104"))
    .action(action(async () => (await import("./commands/suites.js")).enable as Action));

  const db = program
    .command("db")
    .description("database schema and demo data")
    .addHelpText("after", examples("hotel db migrate", "hotel db status --json", "hotel db seed"));
  db.command("migrate")
    .description("apply pending migrations (safe to run twice, or from two places at once)")
    .addHelpText("after", examples("hotel db migrate --database-url postgresql://hotel@db.internal/hotel"))
    .action(action(async () => (await import("./commands/db.js")).migrate as Action));
  db.command("status")
    .description("list applied and pending migrations")
    .addHelpText("after", examples("hotel db status"))
    .action(action(async () => (await import("./commands/db.js")).status as Action));
  db.command("seed")
    .description("load the demo inventory: standard 10, deluxe 5, presidential 2 (safe to run twice)")
    .addHelpText("after", examples("hotel db seed"))
    .action(action(async () => (await import("./commands/db.js")).seed as Action));

  program
    .command("stress")
    .description("fire concurrent bookings at a scratch copy of the schema and prove no invariant broke")
    .option("--n <n>", "number of booking requests", "20")
    .option("--concurrency <c>", "requests in flight at once (default: n, capped at 100)")
    .option("--tier <tier>", "tier name of the synthetic inventory", "standard")
    .option("--capacity <suites>", "suites in the tier", "10")
    .option("--check-in <date>", "first night of the stays (default: 30 days from today)")
    .option("--nights <n>", "nights per stay (same-dates, mixed-tiers)", "1")
    .addOption(new Option("--scenario <scenario>", "what the requests ask for").choices(["same-dates", "overlapping", "mixed-tiers"]).default("same-dates"))
    .addOption(new Option("--strategy <strategy>", "booking transaction to exercise").choices(["locked", "interactive", "seed"]).default("locked"))
    .option("--workers <p>", "split the load over P separate OS processes", "1")
    .option("--seed <s>", "random seed, for repeatable runs")
    .option("--keep", "keep the scratch schema afterwards and print how to inspect it")
    .option("--max-failed <n>", "exit 1 when more than N requests end as 503")
    .option("--max-p99 <ms>", "exit 1 when p99 latency exceeds MS")
    .addHelpText(
      "after",
      examples(
        "hotel stress --n 20",
        "hotel stress --n 1000 --scenario overlapping --concurrency 50 --seed 7",
        "hotel stress --n 200 --scenario mixed-tiers --workers 3 --json",
        "hotel stress --n 20 --strategy seed",
      ),
    )
    .action(action(async () => (await import("./commands/stress.js")).run as Action));

  program
    .command("stress-worker", { hidden: true })
    .description("internal: one worker process of `hotel stress --workers`")
    .argument("<plan>", "JSON plan")
    .action(action(async () => (await import("./commands/stress.js")).worker as Action));

  program
    .command("check")
    .description("audit the live data: overbooked nights, double-booked suites, bookings on inactive suites, orphans")
    .option("--repair", "rebuild drifted counts and stale marks under the night locks, expire lapsed holds, and list what changed")
    .addHelpText("after", examples("hotel check", "hotel check --json", "hotel check --repair"))
    .action(action(async () => (await import("./commands/check.js")).run as Action));

  program
    .command("serve")
    .description("HTTP booking endpoint over the same core (POST /api/bookings)")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on", "3000")
    .addHelpText(
      "after",
      examples(
        "hotel serve --port 3000",
        "ab -n 20 -c 20 -p booking.json -T application/json http://127.0.0.1:3000/api/bookings",
      ),
    )
    .action(action(async () => (await import("./commands/serve.js")).run as Action));

  return program;
}
