import { describe, expect, it } from 'vitest';
import {
  createChangeNotifier,
  type ChangeTransport,
  type JobsChangedEvent,
} from '@/lib/client/notifier';
import { createChannelHub } from '../support/device';

describe('change notifier', () => {
  it('delivers a local change to this context’s listeners once, and to other contexts', async () => {
    const hub = createChannelHub();
    const here = createChangeNotifier([hub.transport()]);
    const there = createChangeNotifier([hub.transport()]);
    const seenHere: JobsChangedEvent[] = [];
    const seenThere: JobsChangedEvent[] = [];
    here.subscribe((e) => seenHere.push(e));
    there.subscribe((e) => seenThere.push(e));
    here.publish({ jobIds: ['a'], source: 'local' });
    await new Promise((r) => setTimeout(r, 0));
    expect(seenHere.map((e) => e.jobIds)).toEqual([['a']]);
    expect(seenThere.map((e) => e.jobIds)).toEqual([['a']]);
  });

  it('delivers an event that arrives by two transports only once', async () => {
    const channel = createChannelHub();
    const worker = createChannelHub();
    const here = createChangeNotifier([channel.transport(), worker.transport()]);
    const there = createChangeNotifier([channel.transport(), worker.transport()]);
    const seen: JobsChangedEvent[] = [];
    there.subscribe((e) => seen.push(e));
    here.publish({ jobIds: ['x'], source: 'drain' });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toHaveLength(1);
  });

  it('announces nothing for a change that touches no job', () => {
    const posted: JobsChangedEvent[] = [];
    const spy: ChangeTransport = { post: (e) => posted.push(e), subscribe: () => () => undefined };
    const notifier = createChangeNotifier([spy]);
    notifier.publish({ jobIds: [], source: 'pull' });
    expect(posted).toEqual([]);
    notifier.publish({ jobIds: [], all: true, source: 'local' });
    expect(posted).toHaveLength(1);
  });

  it('stops delivering after unsubscribe', () => {
    const notifier = createChangeNotifier();
    const seen: string[] = [];
    const stop = notifier.subscribe((e) => seen.push(e.id));
    notifier.publish({ jobIds: ['a'], source: 'local' });
    stop();
    notifier.publish({ jobIds: ['b'], source: 'local' });
    expect(seen).toHaveLength(1);
  });
});
