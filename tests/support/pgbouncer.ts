// The tests' PgBouncer is the bench's (bench/pgbouncer.ts): one way to start a real one.
export { startPgBouncer, type PgBouncer, type PgBouncerOptions } from "../../bench/pgbouncer.js";
