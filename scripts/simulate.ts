/**
 * `npm run simulate -- --runs N --seed S [--minutes M] [--path P]`: the deterministic simulation of devices, tabs, network
 * faults and clocks (tests/simulation), as many schedules as you like. Prints progress, the
 * slowest runs, and — when a promise breaks — the seed, the shrunk schedule and what broke. The
 * same seed replays the same schedules exactly.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { createTestD1 } from '../tests/support/miniflare-d1';
import { describeSchedule, runSchedule, schedule, worldShape } from '../tests/simulation/schedule';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isSafeInteger(value)) throw new Error(`--${name} must be an integer`);
  return value;
}

async function main(): Promise<void> {
  const runs = option('runs', 200);
  const seed = option('seed', Date.now() % 2_147_483_647);
  const minutes = option('minutes', 10);
  // `--path P` (printed with a failure) replays just that schedule.
  const pathIndex = process.argv.indexOf('--path');
  const path = pathIndex >= 0 ? process.argv[pathIndex + 1] : undefined;
  const d1 = await createTestD1({ bridge: 'worker' });
  const durations: number[] = [];
  // The run in progress when a time limit interrupts the check: waited for before closing D1.
  let inFlight: Promise<unknown> = Promise.resolve();
  let steps = 0;
  const started = Date.now();
  console.log(`Simulating ${runs} schedules from seed ${seed}…`);
  try {
    const result = await fc.check(
      fc.asyncProperty(worldShape, schedule, async (shape, plan) => {
        const t0 = performance.now();
        const run = runSchedule(d1, shape, plan);
        inFlight = run.catch(() => undefined);
        const { failures } = await run;
        durations.push(performance.now() - t0);
        steps += plan.length;
        if (durations.length % 50 === 0) console.log(`  ${durations.length} schedules…`);
        if (failures.length > 0) {
          throw new Error(`${failures.join('\n')}\n\nSchedule:\n${describeSchedule(shape, plan)}`);
        }
      }),
      // Shrinking a long failing schedule can take a while: stop it after `--minutes` (default 10)
      // and report the smallest schedule found by then.
      {
        numRuns: runs,
        seed,
        interruptAfterTimeLimit: minutes * 60_000,
        markInterruptAsFailure: false,
        ...(path === undefined ? {} : { path, endOnFailure: true }),
      },
    );
    const sorted = [...durations].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    console.log(
      `${durations.length} schedules (${steps} steps) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `per schedule: median ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, slowest ${at(1).toFixed(0)} ms`,
    );
    if (result.failed) {
      console.error(
        `\nBROKEN after ${result.numRuns} schedules — seed ${seed}, path ${result.counterexamplePath}`,
      );
      console.error(
        result.errorInstance instanceof Error ? result.errorInstance.message : result.errorInstance,
      );
      process.exitCode = 1;
    } else {
      console.log('Every promise held.');
    }
  } finally {
    await inFlight;
    await d1.dispose();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
