import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestD1, type TestD1 } from '../support/miniflare-d1';
import { describeSchedule, runSchedule, schedule, worldShape } from './schedule';

/**
 * The deterministic simulation, a fixed share of it: random schedules of users, network faults
 * and clocks across several devices, each checked against what the users intended. `npm run
 * simulate -- --runs N --seed S` runs more, from any seed.
 */
const RUNS = Number(process.env.SIM_RUNS ?? 40);
const SEED = Number(process.env.SIM_SEED ?? 20261201);

describe('simulation: devices, tabs, faults and clocks', () => {
  let d1: TestD1;
  beforeAll(async () => {
    d1 = await createTestD1({ bridge: 'worker' });
  });
  afterAll(async () => {
    await d1.dispose();
  });

  it(`keeps every promise over ${RUNS} random schedules (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(worldShape, schedule, async (shape, steps) => {
        const { failures } = await runSchedule(d1, shape, steps);
        if (failures.length > 0) {
          throw new Error(`${failures.join('\n')}\n\nSchedule:\n${describeSchedule(shape, steps)}`);
        }
      }),
      // A failure is shrunk for at most two minutes, so that CI reports it in bounded time.
      {
        numRuns: RUNS,
        seed: SEED,
        interruptAfterTimeLimit: 120_000,
        markInterruptAsFailure: false,
      },
    );
    expect(RUNS).toBeGreaterThan(0);
  }, 600_000);
});
