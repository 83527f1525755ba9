import fc from 'fast-check';
import { jobListResponseSchema, jobResponseSchema } from '@/lib/shared/api-types';
import type { JobId } from '@/lib/shared/job-schema';
import { isLive } from '@/lib/shared/merge-rule';
import { lastVersionAt, maxVersion, type Version } from '@/lib/shared/version';
import { plainJob } from '../support/job-fixture';
import type { TestD1 } from '../support/miniflare-d1';
import { World, type SimTab } from './world';

/**
 * Schedules for the simulation: what users do on which device and tab, and what the network and
 * the clocks do meanwhile. A schedule is data (printed readably when a run fails), generated and
 * shrunk by fast-check, and replayed exactly from its seed.
 */

const JOB_IDS = ['a', 'b'] as const;

export type Step =
  /** A user action on a tab; it resolves when it is durable on the device. */
  | {
      readonly do: 'save' | 'delete' | 'import' | 'keep' | 'dismiss';
      readonly device: number;
      readonly tab: number;
      readonly job: number;
    }
  | { readonly do: 'clear'; readonly device: number; readonly tab: number }
  /** A plain API `DELETE …?at=` answered by the worker: covers versions up to `agoMs` before now. */
  | {
      readonly do: 'apiDelete';
      readonly device: number;
      readonly tab: number;
      readonly job: number;
      readonly agoMs: number;
    }
  /** A calm moment for one device: it syncs and the network delivers everything at once. */
  | { readonly do: 'roundTrip'; readonly device: number }
  /** Network operations: they run until they wait on the network. */
  | {
      readonly do: 'sync' | 'open';
      readonly device: number;
      readonly tab: number;
      readonly job: number;
    }
  /** The network: deliver a waiting request (and its answer now, later, or never), lose it, copy it. */
  | { readonly do: 'deliver'; readonly pick: number; readonly answer: 'now' | 'later' | 'lost' }
  | { readonly do: 'answer'; readonly pick: number; readonly lost: boolean }
  | { readonly do: 'drop' | 'duplicate'; readonly pick: number }
  /** The caller gives up on a request (a timeout) that stays in the network: it may arrive late. */
  | { readonly do: 'giveUp'; readonly pick: number }
  | { readonly do: 'offline' | 'online'; readonly device: number }
  /** A tab (and what it was doing) killed mid-way; a new tab opens in its place. */
  | { readonly do: 'kill'; readonly device: number; readonly tab: number }
  | { readonly do: 'tick'; readonly ms: number }
  /** A device's clock jumps (NTP, a user changing it). */
  | { readonly do: 'skew'; readonly device: number; readonly ms: number };

export interface WorldShape {
  readonly devices: readonly { readonly skewMs: number; readonly tabs: number }[];
}

const index = fc.nat({ max: 7 });
const SKEW = fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 });

export const worldShape: fc.Arbitrary<WorldShape> = fc.record({
  devices: fc.array(fc.record({ skewMs: SKEW, tabs: fc.integer({ min: 1, max: 2 }) }), {
    minLength: 2,
    maxLength: 3,
  }),
});

const userStep = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      do: fc.constant('save' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constant('delete' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant('import' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ do: fc.constant('clear' as const), device: index, tab: index }),
  },
  {
    // The user keeps, or dismisses, the job's replaced version (when the tab shows one).
    weight: 2,
    arbitrary: fc.record({
      do: fc.constantFrom('keep' as const, 'dismiss' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant('apiDelete' as const),
      device: index,
      tab: index,
      job: index,
      agoMs: fc.integer({ min: 0, max: 20_000 }),
    }),
  },
);

const networkStep = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      do: fc.constant('sync' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      do: fc.constant('open' as const),
      device: index,
      tab: index,
      job: index,
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      do: fc.constant('deliver' as const),
      pick: index,
      answer: fc.constantFrom('now' as const, 'now' as const, 'later' as const, 'lost' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ do: fc.constant('answer' as const), pick: index, lost: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('drop' as const), pick: index }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('duplicate' as const), pick: index }) },
  { weight: 4, arbitrary: fc.record({ do: fc.constant('giveUp' as const), pick: index }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('offline' as const), device: index }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('online' as const), device: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ do: fc.constant('kill' as const), device: index, tab: index }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      do: fc.constant('tick' as const),
      ms: fc.integer({ min: 0, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ do: fc.constant('skew' as const), device: index, ms: SKEW }),
  },
);

export const schedule: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof({ weight: 2, arbitrary: userStep }, { weight: 3, arbitrary: networkStep }),
  { minLength: 15, maxLength: 80, size: '+1' },
);

/** One line per step, for a failure report a person can follow. */
export function describeSchedule(shape: WorldShape, steps: readonly Step[]): string {
  const devices = shape.devices
    .map((d, i) => `dev${i}: ${d.tabs} tab(s), clock ${d.skewMs >= 0 ? '+' : ''}${d.skewMs} ms`)
    .join('; ');
  const lines = steps.map((s, i) => {
    const where = 'device' in s ? ` dev${s.device % shape.devices.length}` : '';
    const tab = 'tab' in s ? `.tab${s.tab}` : '';
    const job = 'job' in s && s.do !== 'sync' ? ` job ${JOB_IDS[s.job % JOB_IDS.length]}` : '';
    const rest =
      s.do === 'deliver'
        ? ` #${s.pick} (answer ${s.answer})`
        : s.do === 'answer'
          ? ` #${s.pick}${s.lost ? ' (lost)' : ''}`
          : s.do === 'drop' || s.do === 'duplicate' || s.do === 'giveUp'
            ? ` #${s.pick}`
            : s.do === 'tick' || s.do === 'skew'
              ? ` ${s.ms} ms`
              : s.do === 'apiDelete'
                ? ` (at now − ${s.agoMs} ms)`
                : '';
    return `${String(i + 1).padStart(3)}. ${s.do}${where}${tab}${job}${rest}`;
  });
  return [devices, ...lines].join('\n');
}

/** What the users did that was acknowledged (the facade's promise resolved), for the checks. */
interface Write {
  readonly version: Version;
  readonly content: string;
  readonly device: number;
  readonly basedOn: Version | undefined;
}

interface Intent {
  /**
   * Every acknowledged write of each job: its version, the content it carried, the device that
   * made it, and the version that device held of the job when it did (`basedOn`, as saved).
   */
  readonly writes: Map<JobId, Write[]>;
  /** Per job, the greatest version an acknowledged delete or clear covered. */
  readonly covered: Map<JobId, Version>;
  /** The same, per device that made the delete: that device must never show it again. */
  readonly coveredOn: Map<number, Map<JobId, Version>>;
  /** Replaced versions the users dismissed, as `device version`. */
  readonly dismissed: Set<string>;
}

export interface RunResult {
  readonly world: World;
  readonly failures: string[];
}

/**
 * Runs `steps` in a fresh world, heals it (every device online, every request and answer
 * delivered, every device synced until nothing moves), and checks the world against the users'
 * intent. Resolves with what failed (nothing, when all holds).
 */
export async function runSchedule(
  d1: TestD1,
  shape: WorldShape,
  steps: readonly Step[],
  startMs = 1_800_000_000_000,
): Promise<RunResult> {
  const world = await World.create(d1, { devices: shape.devices, startMs });
  const intent: Intent = {
    writes: new Map(),
    covered: new Map(),
    coveredOn: new Map(),
    dismissed: new Set(),
  };
  let content = 0;
  let device = 0;
  const cover = (jobId: JobId, upTo: Version) => {
    intent.covered.set(jobId, maxVersion(intent.covered.get(jobId), upTo) ?? upTo);
    const mine = intent.coveredOn.get(device) ?? new Map<JobId, Version>();
    mine.set(jobId, maxVersion(mine.get(jobId), upTo) ?? upTo);
    intent.coveredOn.set(device, mine);
  };
  const failures: string[] = [];
  const tabOf = (d: number, t: number): SimTab | undefined => {
    const device = world.devices[d % world.devices.length]!;
    const open = device.tabs.filter((x) => !x.closed);
    return open[t % open.length];
  };
  const visible = async (tab: SimTab) =>
    new Map((await tab.client.listJobs()).map((j) => [j.jobId, j.version]));

  try {
    const trace = process.env.SIM_TRACE === '1';
    for (const [n, step] of steps.entries()) {
      if ('device' in step) device = step.device % world.devices.length;
      if (trace) console.log('[sim]', JSON.stringify(step), `pending ${world.pending.length}`);
      switch (step.do) {
        case 'save':
        case 'import': {
          const tab = tabOf(step.device, step.tab)!;
          const jobId = JOB_IDS[step.job % JOB_IDS.length]!;
          const text = `${jobId}#${++content}`;
          const data = { scenes: [{ prompt: text }] };
          if (step.do === 'save') {
            const info = await tab.client.saveJob({ jobId, data });
            record(intent, jobId, {
              version: info.version,
              content: text,
              device,
              basedOn: info.basedOn,
            });
          } else {
            const at = world.deviceNow(world.devices[tab.device]!);
            const written = await tab.client.importJobs([plainJob(jobId, at, data)]);
            if (written.includes(jobId)) {
              const version = (await visible(tab)).get(jobId);
              // An import writes only a job the device knew nothing of: based on nothing.
              if (version)
                record(intent, jobId, { version, content: text, device, basedOn: undefined });
            }
          }
          break;
        }
        case 'keep':
        case 'dismiss': {
          const tab = tabOf(step.device, step.tab)!;
          // The chosen job's replaced version, or else any the tab shows.
          const shown = (await tab.client.listJobs()).filter((j) => j.replaced);
          const chosen = JOB_IDS[step.job % JOB_IDS.length]!;
          const job = shown.find((j) => j.jobId === chosen) ?? shown[0];
          if (!job?.replaced) break;
          const { jobId, replaced } = job;
          const version = replaced.info.version;
          if (step.do === 'dismiss') {
            await tab.client.dismissReplaced(jobId, version);
            intent.dismissed.add(`${device} ${version}`);
            break;
          }
          const own = intent.writes.get(jobId)?.find((w) => w.version === version);
          try {
            const info = await tab.client.keepReplaced(jobId, version);
            record(intent, jobId, {
              version: info.version,
              content: own?.content ?? `(not a write of dev${device})`,
              device,
              basedOn: info.basedOn,
            });
          } catch (error) {
            // Gone meanwhile (a pull, another tab): the keep changes nothing, and says so.
            if (!(error instanceof Error && /no longer kept/.test(error.message))) throw error;
          }
          break;
        }
        case 'delete': {
          const tab = tabOf(step.device, step.tab)!;
          const jobId = JOB_IDS[step.job % JOB_IDS.length]!;
          const seen = (await visible(tab)).get(jobId);
          await tab.client.deleteJob(jobId);
          if (seen) cover(jobId, seen);
          break;
        }
        case 'apiDelete': {
          const tab = tabOf(step.device, step.tab)!;
          const jobId = JOB_IDS[step.job % JOB_IDS.length]!;
          const at = Math.max(0, world.deviceNow(world.devices[tab.device]!) - step.agoMs);
          await tab.client.deleteJob(jobId, { at });
          cover(jobId, lastVersionAt(at));
          break;
        }
        case 'clear': {
          const tab = tabOf(step.device, step.tab)!;
          const seen = await visible(tab);
          await tab.client.clearAll();
          for (const [jobId, version] of seen) cover(jobId, version);
          break;
        }
        case 'sync':
        case 'open': {
          const tab = tabOf(step.device, step.tab)!;
          const device = world.devices[tab.device]!;
          if (!world.idle(tab)) break;
          if (step.do === 'sync') {
            // One replayer per device at a time already holds (Web Locks); one sync per device
            // keeps every tab either running or waiting on the network, never on a lock.
            if (device.tabs.some((t) => t !== tab && !world.idle(t) && !t.closed)) break;
            world.startOp(tab, () => tab.client.sync());
          } else {
            const jobId = JOB_IDS[step.job % JOB_IDS.length]!;
            world.startOp(tab, () => tab.client.readJob(jobId));
          }
          break;
        }
        case 'roundTrip': {
          const device = world.devices[step.device % world.devices.length]!;
          const tab = device.tabs.find((t) => !t.closed);
          if (!tab || device.tabs.some((t) => !t.closed && !world.idle(t))) break;
          world.startOp(tab, () => tab.client.sync());
          await world.deliverAll();
          break;
        }
        case 'deliver': {
          const pending = world.takePending(step.pick);
          if (!pending) break;
          const response = await world.serve(pending);
          if (step.answer === 'now') pending.answer(response);
          else if (step.answer === 'later') world.hold(pending, response);
          else world.failRequest(pending);
          break;
        }
        case 'answer': {
          const held = world.takeHeld(step.pick);
          if (!held) break;
          if (step.lost) world.failRequest(held.pending);
          else held.pending.answer(held.response);
          break;
        }
        case 'drop': {
          const pending = world.takePending(step.pick);
          if (pending) world.failRequest(pending);
          break;
        }
        case 'giveUp': {
          const pending = world.pending[step.pick % Math.max(1, world.pending.length)];
          pending?.fail(new TypeError('the request timed out (simulated)'));
          break;
        }
        case 'duplicate': {
          const pending = world.pending[step.pick % Math.max(1, world.pending.length)];
          if (pending) await world.serve(pending);
          break;
        }
        case 'offline':
        case 'online': {
          const device = world.devices[step.device % world.devices.length]!;
          device.online = step.do === 'online';
          device.env.setOnline(device.online);
          break;
        }
        case 'kill': {
          const device = world.devices[step.device % world.devices.length]!;
          const tab = tabOf(step.device, step.tab)!;
          await world.closeTab(tab);
          device.tabs.push(world.openTab(device));
          break;
        }
        case 'tick':
          world.now += step.ms;
          break;
        case 'skew':
          world.devices[step.device % world.devices.length]!.skewMs = step.ms;
          break;
      }
      await world.settle();
      // At every step, not only at the end: a device never shows again what it deleted.
      for (const d of world.devices) {
        const tab = d.tabs.find((t) => !t.closed);
        const mine = intent.coveredOn.get(d.index);
        if (!tab || !mine) continue;
        for (const [jobId, version] of await visible(tab)) {
          const upTo = mine.get(jobId);
          if (upTo !== undefined && version <= upTo) {
            failures.push(
              `after step ${n + 1}, dev${d.index} shows job ${jobId} at ${version}, which it deleted (up to ${upTo})`,
            );
          }
        }
      }
      if (failures.length > 0) return { world, failures };
    }
    await heal(world);
    return { world, failures: await check(world, intent) };
  } finally {
    await world.dispose();
  }
}

function record(intent: Intent, jobId: JobId, write: Write): void {
  const list = intent.writes.get(jobId) ?? [];
  list.push(write);
  intent.writes.set(jobId, list);
}

/**
 * Brings the world to rest: every device online, every held answer and waiting request
 * delivered, and every device synced (drain, then pull) until a full round changes nothing.
 */
async function heal(world: World): Promise<void> {
  for (const device of world.devices) {
    device.online = true;
    device.env.setOnline(true);
  }
  await world.deliverAll();
  for (let round = 0; round < 3; round++) {
    for (const device of world.devices) {
      const tab = device.tabs.find((t) => !t.closed)!;
      if (!world.idle(tab)) continue;
      world.startOp(tab, () => tab.client.sync());
      await world.deliverAll();
    }
  }
}

/**
 * The promises the sync layer makes, checked against what the users did:
 * - every acknowledged write either is the job's version on the server or lost to a greater
 *   version or to a delete that covered it — the winner is the greatest acknowledged write that
 *   no acknowledged delete or clear covered, and its content is what that write carried;
 * - nothing deleted or cleared comes back: a covered write is never the winner;
 * - every device holds exactly the server's live jobs, with the same versions and data — the
 *   data on the device already, without opening anything (background replication);
 * - nothing waits or was refused: every outbox is empty, no dead letters;
 * - no edit is replaced without a word: when a device's last write of a job lost to writes of
 *   other devices none of which had seen it (each based on an older version), that device keeps
 *   it, with its content, as the job's replaced version; and every replaced version a device
 *   keeps is one of its own writes, with exactly what it carried, of a job that still exists;
 * - every op took effect once: the server's change sequence moved once per distinct op.
 */
async function check(world: World, intent: Intent): Promise<string[]> {
  const failures: string[] = [];
  // Exactly once: every op the server received took the change sequence once, on its first
  // arrival; replays and duplicates took none.
  const [ops, state] = await world.d1.executor.batch([
    { sql: 'SELECT COUNT(*) AS n FROM veo_ops', params: [] },
    { sql: 'SELECT seq FROM veo_sync_state WHERE id = 1', params: [] },
  ]);
  const received = Number(ops?.rows[0]?.n);
  const sequence = Number(state?.rows[0]?.seq);
  if (sequence - 1 !== received) {
    failures.push(`the server took ${sequence - 1} change numbers for ${received} distinct ops`);
  }
  const list = await world.serve({
    id: 0,
    device: -1,
    request: new Request('http://veo.sim/api/veo/jobs'),
    body: null,
    tab: undefined as never,
    answer: () => undefined,
    fail: () => undefined,
  });
  const server = new Map(
    jobListResponseSchema.parse(await list.json()).jobs.map((j) => [j.jobId, j.version]),
  );
  const serverContent = new Map<JobId, string>();
  for (const jobId of server.keys()) {
    const response = await world.api.get(
      new Request(`http://veo.sim/api/veo/jobs/${jobId}`),
      jobId,
    );
    const job = jobResponseSchema.parse(await response.json()).job;
    serverContent.set(jobId, JSON.stringify(job?.data));
  }

  for (const jobId of JOB_IDS) {
    const covered = intent.covered.get(jobId);
    const writes = intent.writes.get(jobId) ?? [];
    const winner = writes
      .filter((w) => isLive({ version: w.version, deletedUpTo: covered }))
      .sort((a, b) => (a.version < b.version ? 1 : -1))[0];
    const actual = server.get(jobId);
    if (!winner && actual !== undefined) {
      const was = writes.find((w) => w.version === actual);
      failures.push(
        `job ${jobId}: should be gone (every write covered by a delete up to ${covered ?? '—'}), but the server has ${actual}${was ? ` (${was.content})` : ''}`,
      );
    } else if (winner && actual !== winner.version) {
      failures.push(
        `job ${jobId}: the server should hold ${winner.version} (${winner.content}), holds ${actual ?? 'nothing'}`,
      );
    } else if (
      winner &&
      serverContent.get(jobId) !== JSON.stringify({ scenes: [{ prompt: winner.content }] })
    ) {
      failures.push(
        `job ${jobId}: the server's data is ${serverContent.get(jobId)}, not ${winner.content}`,
      );
    }
  }

  for (const device of world.devices) {
    const tab = device.tabs.find((t) => !t.closed)!;
    const local = new Map((await tab.client.listJobs()).map((j) => [j.jobId, j.version]));
    const same =
      local.size === server.size && [...local].every(([id, version]) => server.get(id) === version);
    if (!same) {
      failures.push(
        `dev${device.index} holds ${JSON.stringify([...local])}, the server ${JSON.stringify([...server])}`,
      );
    }
    for (const jobId of local.keys()) {
      // A replica, not a cache: after syncing, every job opens from the device, at its version.
      const held = await tab.client.readJob(jobId, { localOnly: true });
      const heldContent = held.status === 'found' ? JSON.stringify(held.job.data) : held.status;
      if (held.status !== 'found' || held.stale || heldContent !== serverContent.get(jobId)) {
        failures.push(
          `dev${device.index} holds ${jobId} as ${heldContent}${held.status === 'found' && held.stale ? ' (an older version)' : ''} before opening it, the server has ${serverContent.get(jobId) ?? 'nothing'}`,
        );
      }
      // Open it as a person would: from the device, or fetched (and stored) when not there.
      world.startOp(tab, () => tab.client.readJob(jobId));
      await world.deliverAll();
      const read = await tab.client.readJob(jobId, { localOnly: true });
      const content = read.status === 'found' ? JSON.stringify(read.job.data) : read.status;
      if (content !== serverContent.get(jobId)) {
        failures.push(
          `dev${device.index} opens ${jobId} as ${content}, the server has ${serverContent.get(jobId) ?? 'nothing'}`,
        );
      }
    }
    failures.push(...(await checkReplaced(device.index, tab, intent, server)));
    const status = await tab.client.refreshStatus();
    if (status.pending > 0)
      failures.push(`dev${device.index} still has ${status.pending} change(s) waiting`);
    if (status.deadLetters.length > 0) {
      failures.push(
        `dev${device.index} has refused changes: ${status.deadLetters.map((l) => `${l.kind} ${l.jobId}: ${l.message}`).join('; ')}`,
      );
    }
  }
  return failures;
}

/**
 * The conflict promise on one device (docs/sync-rules.md, "Conflicts"): what it must keep aside,
 * and that what it keeps is the user's own.
 */
async function checkReplaced(
  device: number,
  tab: SimTab,
  intent: Intent,
  server: ReadonlyMap<JobId, Version>,
): Promise<string[]> {
  const failures: string[] = [];
  const listed = new Map((await tab.client.listJobs()).map((j) => [j.jobId, j]));
  for (const jobId of JOB_IDS) {
    const writes = intent.writes.get(jobId) ?? [];
    const kept = await tab.client.readReplaced(jobId);
    const shown = listed.get(jobId)?.replaced;
    if (kept) {
      const own = writes.find((w) => w.version === kept.replaced.info.version);
      const content = JSON.stringify(kept.job.data);
      if (!own || own.device !== device) {
        failures.push(
          `dev${device} keeps ${kept.replaced.info.version} of ${jobId} as replaced: not a write of its own`,
        );
      } else if (content !== JSON.stringify({ scenes: [{ prompt: own.content }] })) {
        failures.push(`dev${device} keeps ${own.content} of ${jobId} as ${content}`);
      }
      if (!server.has(jobId))
        failures.push(`dev${device} keeps a replaced version of deleted ${jobId}`);
      if (shown?.info.version !== kept.replaced.info.version) {
        failures.push(
          `dev${device}'s list shows ${jobId}'s replaced version as ${shown?.info.version ?? 'none'}`,
        );
      }
    }
    // Its last write of the job, and the job's final version.
    const mine = writes
      .filter((w) => w.device === device)
      .sort((a, b) => (a.version < b.version ? 1 : -1))[0];
    const final = server.get(jobId);
    if (!mine || final === undefined || !(final > mine.version)) continue;
    const covered = intent.covered.get(jobId);
    if (covered !== undefined && covered >= mine.version) continue;
    if (intent.dismissed.has(`${device} ${mine.version}`)) continue;
    // Whatever the device received after its write, it was made without that write.
    const after = writes.filter((w) => w.version > mine.version && w.version <= final);
    const unseen = after.every(
      (w) => w.device !== device && w.basedOn !== undefined && w.basedOn < mine.version,
    );
    if (unseen && kept?.replaced.info.version !== mine.version) {
      failures.push(
        `dev${device}'s edit ${mine.content} (${mine.version}) of ${jobId} was replaced by ${final}, made without it, and the device keeps ${kept ? kept.replaced.info.version : 'nothing'}`,
      );
    }
  }
  return failures;
}
