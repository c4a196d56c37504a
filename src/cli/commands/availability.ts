import type { ChalkInstance } from "chalk";
import { availability, type Availability } from "../../core/availability.js";
import { resolveRange } from "../../core/dates.js";
import { formatDate } from "../../core/dates.js";
import { printable } from "../../core/text.js";
import type { CommandDefinition, Deps } from "../command.js";
import { rangeFlags, TIER_FILTER } from "../flags.js";

export interface AvailabilityOptions {
  from?: string;
  to?: string;
  nights?: string;
  tier?: string;
}

export const availabilityCommand: CommandDefinition<AvailabilityOptions, AvailabilityOptions> = {
  name: "availability",
  summary: "free suites per tier and night",
  flags: [...rangeFlags({ fromDefault: "today", nights: "number of nights to show (default 7)" }), TIER_FILTER],
  examples: ["hotel availability", "hotel availability --from 2031-03-01 --to 2031-03-04 --tier standard --json"],
  parse: (flags) => ({ ...flags }),
  run,
};

export async function run(options: AvailabilityOptions, deps: Deps): Promise<number> {
  // "Today" by the injected clock, so the default range follows the run's clock.
  const range = resolveRange({ ...options, from: options.from ?? formatDate(deps.today()) });
  const db = await deps.database({ poolSize: 2 });
  const result = await availability(deps.hotel(db), { ...range, tier: options.tier });
  deps.out.result(result, () => grid(result, deps.out.color));
  return 0;
}

const NIGHTS_PER_ROW = 14;

/** Tier x night grid of free suites, coloured by how full the night is. */
export function grid(result: Availability, color: ChalkInstance): string {
  if (result.tiers.length === 0) return "No tiers yet: run `hotel db seed` or `hotel suites add`.";
  const nameWidth = Math.max(4, ...result.tiers.map((t) => printable(t.tier).length)) + 6;
  const blocks: string[] = [];
  const nightCount = result.tiers[0]?.nights.length ?? 0;
  for (let start = 0; start < nightCount; start += NIGHTS_PER_ROW) {
    const dates = (result.tiers[0]?.nights ?? []).slice(start, start + NIGHTS_PER_ROW).map((n) => n.date);
    const header = `${"free/cap".padEnd(nameWidth)}${dates.map((d) => d.slice(5).padStart(6)).join("")}`;
    const rows = result.tiers.map((tier) => {
      const cells = tier.nights.slice(start, start + NIGHTS_PER_ROW).map((night) => {
        const text = String(night.free).padStart(6);
        if (tier.capacity === 0 || night.free === 0) return color.red(text);
        return night.free / tier.capacity <= 0.25 ? color.yellow(text) : color.green(text);
      });
      return `${`${printable(tier.tier)} (${tier.capacity})`.padEnd(nameWidth)}${cells.join("")}`;
    });
    blocks.push([header, ...rows].join("\n"));
  }
  return `Free suites per night, ${result.from} to ${result.to} (exclusive):\n${blocks.join("\n\n")}`;
}
