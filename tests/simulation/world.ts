import { IDBFactory } from 'fake-indexeddb';
import { openVeoDb } from '@/lib/client/db';
import { createLocalLocks, type LockManagerLike } from '@/lib/client/locks';
import { createSyncClient, type SyncClient } from '@/lib/client/sync-client';
import { createJobStore } from '@/lib/server/job-store';
import { createJobsApi, type JobsApi } from '@/lib/server/jobs-api';
import { createChannelHub, createFakeEnvironment, type FakeEnvironment } from '../support/device';
import type { TestD1 } from '../support/miniflare-d1';
import { routeJobsApi } from '../support/route-jobs-api';

/**
 * The simulated world: one server (the real jobs API handlers and store, on a real Miniflare D1),
 * several devices (each its own IndexedDB, Web Locks, BroadcastChannel and skewed clock, with one
 * or more tabs — real sync clients), and a network between them that the scheduler drives by
 * hand: every request waits in the network until the schedule delivers it, drops it, duplicates
 * it or delivers its answer (or loses the answer after the server applied it).
 *
 * Nothing runs behind the schedule's back: clocks are the simulation's, retry timers are held,
 * nothing is started on a timer, and between two steps the world is let run until every tab is
 * idle or waiting on the network (`settle`), so a run is a function of its schedule.
 */

export interface Pending {
  readonly id: number;
  readonly device: number;
  readonly request: Request;
  /** Bytes of the body, read when the request was sent (it can be delivered more than once). */
  readonly body: ArrayBuffer | null;
  readonly tab: SimTab;
  /** Settles the caller's fetch (unless it gave up already). */
  answer(response: Response): void;
  fail(error: Error): void;
}

export interface HeldAnswer {
  readonly id: number;
  readonly pending: Pending;
  readonly response: Response;
}

export interface SimTab {
  readonly device: number;
  readonly client: SyncClient;
  /** The network operation (sync, open) this tab is running, if any. */
  op?: { done: boolean; waiting: boolean; promise: Promise<unknown> };
  closed: boolean;
}

export interface SimDevice {
  readonly index: number;
  readonly nodeId: string;
  readonly indexedDB: IDBFactory;
  readonly locks: LockManagerLike;
  readonly hub: ReturnType<typeof createChannelHub>;
  readonly env: FakeEnvironment;
  /** This device's clock is the world's plus this (ms); a clock can be wrong and jump. */
  skewMs: number;
  online: boolean;
  tabs: SimTab[];
}

export interface WorldOptions {
  readonly devices: readonly { readonly skewMs: number; readonly tabs: number }[];
  /** The world's time at the start (ms). */
  readonly startMs: number;
}

/** A network failure as fetch reports it. */
const networkError = () => new TypeError('fetch failed (simulated network)');

export class World {
  now: number;
  readonly devices: SimDevice[] = [];
  readonly pending: Pending[] = [];
  readonly held: HeldAnswer[] = [];
  readonly api: JobsApi;
  /** Every request the server received, in order, for the failure report. */
  readonly serverLog: string[] = [];
  private nextId = 1;

  private constructor(
    readonly d1: TestD1,
    options: WorldOptions,
  ) {
    this.now = options.startMs;
    const store = createJobStore(d1.executor, { now: () => this.now, nodeId: 'server' });
    this.api = createJobsApi({ getStore: () => Promise.resolve(store), now: () => this.now });
  }

  /** A world on `d1`, whose tables are emptied first (one database serves many runs). */
  static async create(d1: TestD1, options: WorldOptions): Promise<World> {
    await d1.executor.batch(
      [
        'DELETE FROM veo_job_chunks',
        'DELETE FROM veo_job_data',
        'DELETE FROM veo_jobs',
        'DELETE FROM veo_ops',
        "UPDATE veo_sync_state SET seq = 1, purged_seq = 0, horizon = ''",
      ].map((sql) => ({ sql, params: [] })),
    );
    const world = new World(d1, options);
    for (const [index, spec] of options.devices.entries()) {
      const device: SimDevice = {
        index,
        nodeId: `dev${index}`,
        indexedDB: new IDBFactory(),
        locks: createLocalLocks(),
        hub: createChannelHub(),
        env: createFakeEnvironment(),
        skewMs: spec.skewMs,
        online: true,
        tabs: [],
      };
      // The device id is the clock's node id: fixed here, so a run is reproducible.
      const db = await openVeoDb(device.indexedDB);
      await db.put('meta', { deviceId: device.nodeId }, 'sync');
      db.close();
      world.devices.push(device);
      for (let t = 0; t < spec.tabs; t++) device.tabs.push(world.openTab(device));
    }
    return world;
  }

  deviceNow(device: SimDevice): number {
    return this.now + device.skewMs;
  }

  openTab(device: SimDevice): SimTab {
    const tab: SimTab = {
      device: device.index,
      closed: false,
      client: undefined as unknown as SyncClient,
    };
    let seed = device.index * 7919 + device.tabs.length * 104729 + 1;
    (tab as { client: SyncClient }).client = createSyncClient({
      indexedDB: device.indexedDB,
      fetch: (input, init) => this.send(device, tab, new Request(input, init)),
      baseUrl: 'http://veo.sim',
      locks: device.locks,
      transports: [device.hub.transport()],
      environment: device.env,
      now: () => this.deviceNow(device),
      // Deterministic backoff jitter.
      random: () => (seed = (seed * 48271) % 2147483647) / 2147483647,
      // The network never times out by itself: the schedule decides what is lost.
      requestTimeoutMs: 1e9,
      timers: { setTimeout: () => undefined, clearTimeout: () => undefined },
      // Drains happen when the schedule says (a save only enqueues).
      delegateDrain: () => Promise.resolve(true),
    });
    return tab;
  }

  /** The sync client's fetch: the request waits in the network until the schedule acts on it. */
  private async send(device: SimDevice, tab: SimTab, request: Request): Promise<Response> {
    if (!device.online || tab.closed) throw networkError();
    const body = request.method === 'GET' ? null : await request.clone().arrayBuffer();
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        if (tab.op) tab.op.waiting = false;
      };
      const onAbort = () => {
        if (settled) return;
        settle();
        reject(request.signal.reason instanceof Error ? request.signal.reason : networkError());
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push({
        id: this.nextId++,
        device: device.index,
        request,
        body,
        tab,
        answer: (response) => {
          if (settled) return;
          settle();
          resolve(response);
        },
        fail: (error) => {
          if (settled) return;
          settle();
          reject(error);
        },
      });
      if (tab.op) tab.op.waiting = true;
    });
  }

  /** Runs a request at the server; its answer, read whole. */
  async serve(pending: Pending): Promise<Response> {
    const { request } = pending;
    const copy = new Request(request.url, {
      method: request.method,
      headers: request.headers,
      ...(pending.body === null ? {} : { body: pending.body }),
    });
    const response = await routeJobsApi(this.api, copy);
    const bytes = await response.arrayBuffer();
    const url = new URL(request.url);
    this.serverLog.push(
      `#${pending.id} dev${pending.device} ${request.method} ${url.pathname}${url.search} → ${response.status}`,
    );
    return new Response(bytes, { status: response.status, headers: response.headers });
  }

  /** Starts a network operation (sync, open) on a tab; it runs until it waits on the network. */
  startOp(tab: SimTab, run: () => Promise<unknown>): void {
    const op = { done: false, waiting: false, promise: Promise.resolve() as Promise<unknown> };
    tab.op = op;
    op.promise = run()
      .catch(() => undefined)
      .finally(() => {
        op.done = true;
      });
  }

  /** Whether a tab may start a network operation now. */
  idle(tab: SimTab): boolean {
    return !tab.closed && (!tab.op || tab.op.done);
  }

  /**
   * Lets the clients run until every tab's operation is done or waiting on the network. Client
   * work (IndexedDB, the notifier) moves by macrotask turns, never by real I/O, so this is exact.
   */
  async settle(): Promise<void> {
    // Client work moves by macrotask turns, and a little of it (gzip in the drain, Blob reads)
    // in Node's thread pool, whose callbacks come on their own time: so wait by turns, with a
    // short sleep now and then, until every tab is done or waiting — never by a fixed count.
    const deadline = Date.now() + 30_000;
    // A tab can also wait on the network through its device's sync lock: held by work of another
    // tab (a replication an `open` set off, say) whose request is in the network, or whose answer
    // is. While one of the device's is, its busy tabs count as waiting; once none is, they must
    // finish.
    const inNetwork = (d: SimDevice) =>
      this.pending.some((p) => p.device === d.index) ||
      this.held.some((h) => h.pending.device === d.index);
    const stuck = (d: SimDevice, t: SimTab) =>
      t.op !== undefined && !t.op.done && !t.op.waiting && !inNetwork(d);
    for (let turn = 0; Date.now() < deadline; turn++) {
      const busy = this.devices.some((d) => d.tabs.some((t) => stuck(d, t)));
      if (!busy && turn > 3) {
        // A few more turns for what an answer set off (status refreshes, notifications).
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        return;
      }
      if (turn % 500 === 499) await new Promise((r) => setTimeout(r, 1));
      else await new Promise((r) => setImmediate(r));
    }
    const names = this.devices.flatMap((d) =>
      d.tabs
        .map((t, i) => ({ t, i }))
        .filter(({ t }) => stuck(d, t))
        .map(({ i }) => `dev${d.index}.tab${i}`),
    );
    throw new Error(
      `the simulation did not settle in 30 s: ${names.join(', ')} neither done nor waiting on the network`,
    );
  }

  /** Delivers every held answer and waiting request, in order, until the network is empty. */
  async deliverAll(): Promise<void> {
    for (let guard = 0; guard < 1_000; guard++) {
      await this.settle();
      const held = this.takeHeld(0);
      if (held) {
        held.pending.answer(held.response);
        continue;
      }
      const pending = this.takePending(0);
      if (!pending) return;
      pending.answer(await this.serve(pending));
    }
    throw new Error('the network did not empty: requests keep coming');
  }

  takePending(pick: number): Pending | undefined {
    if (this.pending.length === 0) return undefined;
    return this.pending.splice(pick % this.pending.length, 1)[0];
  }

  takeHeld(pick: number): HeldAnswer | undefined {
    if (this.held.length === 0) return undefined;
    return this.held.splice(pick % this.held.length, 1)[0];
  }

  hold(pending: Pending, response: Response): void {
    this.held.push({ id: pending.id, pending, response });
  }

  failRequest(pending: Pending): void {
    pending.fail(networkError());
  }

  /**
   * Kills a tab: its requests still travel (the server may yet receive them), but their answers
   * reach no one, and whatever the tab was doing stops there.
   */
  async closeTab(tab: SimTab): Promise<void> {
    tab.closed = true;
    for (const p of this.pending) if (p.tab === tab) p.fail(networkError());
    for (const h of this.held) if (h.pending.tab === tab) h.pending.fail(networkError());
    await this.settle();
    await tab.client.close();
  }

  async dispose(): Promise<void> {
    for (const device of this.devices) {
      for (const tab of device.tabs) if (!tab.closed) await this.closeTab(tab);
    }
    for (const p of this.pending.splice(0)) p.fail(networkError());
  }
}
