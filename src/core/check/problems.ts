/** What `hotel check` can find, and how each finding reads. */

export type Problem =
  | { kind: "overbooked-night"; tier: string; night: string; booked: number; capacity: number }
  | { kind: "double-booked-suite"; suite: string; bookings: [number, number]; overlap: string }
  | { kind: "booking-on-inactive-suite"; suite: string; booking: number; checkIn: string; checkOut: string }
  | { kind: "orphan-booking"; booking: number; reason: string }
  | { kind: "missing-safety-net"; constraint: string }
  | { kind: "count-drift"; tier: string; what: string; counted: number; actual: number }
  | { kind: "stale-mark"; tier: string; night: string; mark: string; freeSuite: string }
  | { kind: "modified-migration"; migration: string };

export function describeProblem(problem: Problem): string {
  switch (problem.kind) {
    case "overbooked-night":
      return `overbooked: ${problem.tier} on ${problem.night} has ${problem.booked} bookings for ${problem.capacity} active suites`;
    case "double-booked-suite":
      return `double-booked: suite ${problem.suite}, bookings #${problem.bookings[0]} and #${problem.bookings[1]} overlap on ${problem.overlap}`;
    case "booking-on-inactive-suite":
      return `inactive suite: booking #${problem.booking} (${problem.checkIn} to ${problem.checkOut}) is on disabled suite ${problem.suite}`;
    case "orphan-booking":
      return `orphan: booking #${problem.booking}: ${problem.reason}`;
    case "count-drift":
      return `count drift: ${problem.tier}, ${problem.what}: counted ${problem.counted}, actually ${problem.actual} (run \`hotel check --repair\`)`;
    case "stale-mark":
      return `stale mark: ${problem.tier} on ${problem.night} is marked taken up to ${problem.mark}, but suite ${problem.freeSuite} is free (run \`hotel check --repair\`)`;
    case "missing-safety-net":
      return `schema: constraint ${problem.constraint} is missing (run \`hotel db status\`; the database no longer refuses double bookings)`;
    case "modified-migration":
      return `schema: migration ${problem.migration} was changed after it was applied (migrations are append-only: restore the file)`;
  }
}
