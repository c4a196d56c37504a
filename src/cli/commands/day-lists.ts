import { dayList, type DayList } from "../../core/bookings.js";
import { formatDate, parseDate } from "../../core/dates.js";
import type { CommandDefinition } from "../command.js";
import { bookingsTable } from "../render.js";

/** The front desk's day: who arrives, who leaves, who stays (default today, by this machine's date). */

const WHAT: Record<DayList, { summary: string; heading: string }> = {
  arrivals: { summary: "guests due to arrive on a day (and those who already have)", heading: "Arrivals" },
  departures: { summary: "guests due to leave on a day (and those who already have)", heading: "Departures" },
  inhouse: { summary: "guests staying the night of a day", heading: "In house" },
};

function definition(list: DayList): CommandDefinition<{ date?: string }, { date?: string }> {
  return {
    name: list,
    summary: WHAT[list].summary,
    flags: [{ flags: "--date <date>", description: "the day, YYYY-MM-DD (default today)" }],
    examples: [`hotel ${list}`, `hotel ${list} --date 2026-12-24 --json`],
    parse: (flags) => {
      if (flags.date !== undefined) parseDate(flags.date, "date");
      return { date: flags.date };
    },
    async run(options, deps) {
      const db = await deps.database({ poolSize: 1 });
      const result = await dayList(deps.hotel(db), list, options.date ?? formatDate(deps.today()));
      deps.out.result(result, () => `${WHAT[list].heading} on ${result.date}:\n${bookingsTable(result.bookings)}`);
      return 0;
    },
  };
}

export const arrivalsCommand = definition("arrivals");
export const departuresCommand = definition("departures");
export const inhouseCommand = definition("inhouse");
