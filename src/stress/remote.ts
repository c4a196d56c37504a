import { randomBytes } from "node:crypto";
import { HotelError } from "../core/errors.js";
import type { StressConfig } from "./config.js";
import { RunEngine } from "./engine.js";
import { describeError, HttpClient } from "./http-client.js";
import type { Finding } from "./oracle.js";
import { RunOutputs } from "./outputs.js";
import { packageLauncher } from "./own-server.js";
import { buildReport, type Invariants, type RemoteSummary, type StressReport } from "./report.js";
import type { RunRecorder } from "./results.js";
import type { StressEnvironment } from "./run.js";
import { guestNameOf } from "./scenarios.js";

/**
 * `--url`: drives running `hotel serve`s (staging, say), round-robin. It books
 * their real inventory, so nothing is sent before the caller confirms
 * (`confirmRemote`: a prompt on a terminal, `--yes` elsewhere). Guest names
 * carry a run id (`stress-<id>-<i>`), so staff can tell the run's bookings
 * apart. At the end it checks that every booking it was told about exists,
 * audits through each server's `GET /api/check`, and cancels its own accepted
 * bookings unless `keep` (also on Ctrl-C, after the requests in flight have
 * answered). What it cannot judge without the rows (unjustified refusals,
 * phantom bookings: the servers' other traffic is unknown) is reported as
 * null; `--via http` judges everything on scratch data. With `env.token`
 * every request carries it; a server that refuses it (401, 403) ends the run
 * at once with a CONFIG error, since every request would be refused.
 */

const PARALLEL_CHECKS = 8;
/** How long an interrupted run waits for its requests in flight before cancelling what they booked. */
const DRAIN_MS = 30_000;

export async function runRemote(config: StressConfig, env: StressEnvironment): Promise<StressReport> {
  const urls = config.urls;
  if (!env.confirmRemote || !(await env.confirmRemote(describeRun(config)))) throw new HotelError("USAGE", `Not confirmed: nothing was booked on ${urls.join(", ")}`);

  env.onPhase?.("preparing");
  const clients = urls.map((url) => new HttpClient(url, PARALLEL_CHECKS, env.token));
  const runId = randomBytes(3).toString("hex");
  const guestPrefix = `stress-${runId}-`;
  const outputs = new RunOutputs(config);
  const recorder = outputs.recorder;
  let stopping = false;
  let engine: RunEngine | undefined;
  let driving: Promise<void> | undefined;
  let cancelling: Promise<{ cancelled: number; failed: number }> | undefined;
  // Once, whoever asks first: the end of the run, or the teardown after Ctrl-C.
  const cancelOwn = (): Promise<{ cancelled: number; failed: number }> =>
    (cancelling ??= config.keep ? Promise.resolve({ cancelled: 0, failed: 0 }) : cancelBookings(clients, recorder));
  let teardownPromise: Promise<void> | undefined;
  const teardown = (): Promise<void> =>
    (teardownPromise ??= (async () => {
      stopping = true;
      env.onPhase?.("cleaning-up");
      outputs.close();
      if (driving) await Promise.race([driving.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
      await engine?.close();
      await cancelOwn();
      for (const client of clients) client.close();
    })());
  const unregister = env.registerCleanup?.(teardown);
  try {
    const capacities = await probe(clients, config);
    engine = await RunEngine.open({
      config: { ...config, guestPrefix },
      concurrency: config.concurrency,
      spec: { via: "http", urls, token: env.token },
      workers: { target: { via: "http", urls }, databaseUrl: "", token: env.token, launcher: env.launcher ?? packageLauncher() },
      onResult: (result) => {
        recorder.record(result);
        env.onProgress?.(recorder.progress(config.n));
      },
      onStart: () => {
        outputs.start();
        env.onPhase?.("running");
      },
      stopped: () => stopping,
    });
    driving = engine.drive();
    await driving;
    await engine.close();
    env.onPhase?.("auditing");
    const { invariants, findings, serverProblems } = await judgeRemote(clients, recorder, guestPrefix);
    const { cancelled: done, failed } = await cancelOwn();
    if (failed > 0) env.note?.(`${failed} booking(s) of this run could not be cancelled: look for guest names starting with ${guestPrefix}`);
    const remote: RemoteSummary = { urls, serverProblems, cancelled: done, cancelFailed: failed, kept: config.keep };
    const context = { concurrency: config.concurrency, loadMs: engine.loadMs, clientCpuMs: engine.cpuMs, schema: null, remote, capacities, invariants, findings };
    const report = buildReport(config, recorder, context);
    outputs.finish(report);
    await teardown();
    unregister?.();
    return report;
  } catch (error) {
    await teardown().catch(() => undefined);
    unregister?.();
    throw error;
  }
}

/** What the confirmation asks about. */
function describeRun(config: StressConfig): string {
  const extent = config.n !== null ? `${config.n} booking request(s)` : `booking requests for ${(config.durationMs ?? 0) / 1000} s`;
  const tiers = config.tiers.map((tier) => tier.name).join(", ");
  const after = config.keep ? "the bookings it makes stay (--keep)" : "it cancels the bookings it makes at the end";
  return `${extent} against the real inventory of ${config.urls.join(", ")} (${tiers} from ${config.checkIn}); ${after}`;
}

/**
 * What can be judged without the rows: every accepted booking is there, and
 * each server's own audit is clean. Unjustified refusals and phantom bookings
 * need the server's other traffic: null, not judged.
 */
async function judgeRemote(clients: HttpClient[], recorder: RunRecorder, guestPrefix: string): Promise<{ invariants: Invariants; findings: Finding[]; serverProblems: number }> {
  const lost = await findLostBookings(clients, recorder, guestPrefix);
  const audit = await auditServers(clients);
  const invariants: Invariants = {
    overbookedNights: audit.overbookedNights,
    doubleBookedSuites: audit.doubleBookedSuites,
    unjustifiedRefusals: null,
    phantomBookings: null,
    lostBookings: lost.count,
    ok: audit.problems === 0 && lost.count === 0,
  };
  return { invariants, findings: [...lost.findings, ...audit.findings].slice(0, 10), serverProblems: audit.problems };
}

/** Every server answers, takes the run's credentials, has GET /api/check, and knows the tiers; the tiers' active suites. */
async function probe(clients: HttpClient[], config: StressConfig): Promise<(number | null)[]> {
  for (const client of clients) {
    await client.getJson("/healthz");
    const check = await client.request("GET", "/api/check").catch(() => undefined);
    const refused = check && client.refusal(check);
    if (refused) throw refused;
    if (check?.status === 404) throw new HotelError("CONFIG", `${client.base} has no GET /api/check (an older hotel serve?): upgrade it, stress audits through it`);
  }
  const first = clients[0] as HttpClient;
  const capacities: (number | null)[] = [];
  for (const tier of config.tiers) {
    const response = await first.request("GET", `/api/availability?from=${config.checkIn}&nights=1&tier=${encodeURIComponent(tier.name)}`);
    const refused = first.refusal(response);
    if (refused) throw refused;
    if (response.status === 404 || response.status === 400) throw new HotelError("NOT_FOUND", `${first.base}: tier ${tier.name}${describeError(response.body)}`);
    const tiers = (response.body as { tiers?: { tier: string; capacity: number }[] } | undefined)?.tiers ?? [];
    capacities.push(tiers.find((entry) => entry.tier === tier.name)?.capacity ?? null);
  }
  return capacities;
}

/** Runs `work` over `items`, a few at a time. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_CHECKS, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const clientOf = (clients: HttpClient[], index: number): HttpClient => clients[index % clients.length] as HttpClient;

/** Accepted requests whose booking is not there, confirmed and in its guest's name. */
async function findLostBookings(clients: HttpClient[], recorder: RunRecorder, guestPrefix: string): Promise<{ count: number; findings: Finding[] }> {
  const findings: Finding[] = [];
  let count = 0;
  await inParallel(recorder.acceptedBookings, async ([index, id]) => {
    const response = await clientOf(clients, index).request("GET", `/api/bookings/${id}`).catch(() => undefined);
    const booking = (response?.body as { booking?: { status?: string; guest?: string } } | undefined)?.booking;
    if (response?.status === 200 && booking?.status === "confirmed" && booking.guest === guestNameOf(index, guestPrefix)) return;
    count++;
    if (findings.length < 5) findings.push({ kind: "lost-booking", detail: `request ${index} was accepted as booking ${id}, which is ${response ? `answered ${response.status}${booking ? ` (${booking.status})` : ""}` : "unreachable"}` });
  });
  return { count, findings };
}

interface ServerAudit {
  overbookedNights: number;
  doubleBookedSuites: number;
  problems: number;
  findings: Finding[];
}

/** Each server's own audit; servers on one database report the same problems, so the worst counts. */
async function auditServers(clients: HttpClient[]): Promise<ServerAudit> {
  const audit: ServerAudit = { overbookedNights: 0, doubleBookedSuites: 0, problems: 0, findings: [] };
  for (const client of clients) {
    const report = await client.getJson<{ ok?: boolean; problems?: { kind?: string }[] }>("/api/check");
    const problems = report.problems ?? [];
    const of = (kind: string): number => problems.filter((problem) => problem.kind === kind).length;
    audit.overbookedNights = Math.max(audit.overbookedNights, of("overbooked-night"));
    audit.doubleBookedSuites = Math.max(audit.doubleBookedSuites, of("double-booked-suite"));
    audit.problems = Math.max(audit.problems, report.ok === false && problems.length === 0 ? 1 : problems.length);
    for (const problem of problems.slice(0, 3)) audit.findings.push({ kind: "server-check", detail: `${client.base}/api/check: ${JSON.stringify(problem).slice(0, 200)}` });
  }
  return audit;
}

/** Cancels every booking the run made (DELETE is idempotent, so a retry is safe). */
async function cancelBookings(clients: HttpClient[], recorder: RunRecorder): Promise<{ cancelled: number; failed: number }> {
  let cancelled = 0;
  let failed = 0;
  await inParallel(recorder.acceptedBookings, async ([index, id]) => {
    const response = await clientOf(clients, index).request("DELETE", `/api/bookings/${id}`).catch(() => undefined);
    if (response?.status === 200) cancelled++;
    else failed++;
  });
  return { cancelled, failed };
}
