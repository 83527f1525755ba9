import * as z from 'zod';

/**
 * Causal versions: a hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014).
 * A version is (wall time in ms, counter, node id), written as a fixed-width string —
 * `000001796155525752.000003.Xk2…` — so that comparing the strings (JavaScript `<`, SQLite's
 * BINARY collation) is comparing the tuples. Two versions are equal only if they are the same
 * node's same tick; different nodes never tie. The wall part stays close to real time, so a
 * version still says roughly when; the counter orders what one millisecond could not.
 */
export type Version = string & { readonly __brand: 'Version' };

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
/** Sorts after every node id (whose characters are all below `~` in ASCII). */
const TOP_NODE = '~';

export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const versionSchema = z
  .string()
  .regex(
    new RegExp(`^\\d{${WALL_DIGITS}}\\.\\d{${COUNTER_DIGITS}}\\.(?:[A-Za-z0-9_-]{1,64}|~)$`),
    'must be a version: WALL.COUNTER.NODE',
  )
  .transform((v) => v as Version);

/** The version (wall, counter, node). */
export function formatVersion(wall: number, counter: number, node: string): Version {
  if (!Number.isSafeInteger(wall) || wall < 0 || wall >= 10 ** WALL_DIGITS)
    throw new RangeError(`version wall time out of range: ${wall}`);
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER)
    throw new RangeError(`version counter out of range: ${counter}`);
  if (node !== TOP_NODE && !NODE_ID_PATTERN.test(node))
    throw new RangeError(`not a node id: ${node}`);
  return `${String(wall).padStart(WALL_DIGITS, '0')}.${String(counter).padStart(COUNTER_DIGITS, '0')}.${node}` as Version;
}

export function versionWall(version: Version): number {
  return Number(version.slice(0, WALL_DIGITS));
}

/** The node (device) that issued `version`. */
export function versionNode(version: Version): string {
  return version.slice(WALL_DIGITS + COUNTER_DIGITS + 2);
}

function versionCounter(version: Version): number {
  return Number(version.slice(WALL_DIGITS + 1, WALL_DIGITS + 1 + COUNTER_DIGITS));
}

/** The greatest version with this wall time: "everything up to the end of millisecond `wall`". */
export function lastVersionAt(wall: number): Version {
  return formatVersion(wall, MAX_COUNTER, TOP_NODE);
}

/** -1, 0 or 1, as `a` is before, the same as, or after `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxVersion(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** A node's clock: the last version it issued or observed (wall and counter). */
export interface ClockState {
  readonly wall: number;
  readonly counter: number;
}

export const INITIAL_CLOCK: ClockState = { wall: 0, counter: 0 };

/**
 * The next version this node issues at physical time `now`: greater than everything in `state`
 * (every version it issued or observed), close to `now`. Returns the new state with it.
 */
export function tick(
  state: ClockState,
  now: number,
  node: string,
): { state: ClockState; version: Version } {
  const wall = Math.max(state.wall, Math.floor(now));
  const counter = wall === state.wall ? state.counter + 1 : 0;
  if (counter > MAX_COUNTER) {
    // A million versions in one millisecond: borrow the next millisecond rather than wrap.
    const next = { wall: wall + 1, counter: 0 };
    return { state: next, version: formatVersion(next.wall, 0, node) };
  }
  const next = { wall, counter };
  return { state: next, version: formatVersion(wall, counter, node) };
}

/** The clock after observing `version` (a pull, a download, an answer): never behind it. */
export function observe(state: ClockState, version: Version): ClockState {
  const wall = versionWall(version);
  const counter = versionCounter(version);
  if (wall > state.wall || (wall === state.wall && counter > state.counter)) {
    return { wall, counter: Math.min(counter, MAX_COUNTER) };
  }
  return state;
}
