import { maxVersion, type Version } from './version';

/**
 * THE rule that decides which version of a job wins — the one rule every writer of the replica
 * (save, drain answer, pull, download, import, dead-letter retry and discard, the worker's
 * answers) and of the server's store applies. docs/sync-rules.md explains it with its cases.
 *
 * A job's state, on every replica, is two versions:
 * - `version`: the greatest write it has seen (its data goes with it);
 * - `deletedUpTo`: the greatest version any delete or clear-all has covered — a delete covers
 *   the versions its device had seen (the one it deleted), a clear-all covers, per job, what its
 *   device held when the user cleared.
 * The job is live when its write is newer than its tombstone. Merging two states takes the
 * greater of each: commutative, associative and idempotent, so replicas that saw the same ops
 * hold the same state whatever order the ops came in, and an older write or delete arriving
 * late changes nothing.
 */
export interface JobVersions {
  readonly version?: Version | undefined;
  readonly deletedUpTo?: Version | undefined;
}

/** Whether the job exists: it has a write that no delete or clear-all has covered. */
export function isLive(state: JobVersions): boolean {
  return (
    state.version !== undefined &&
    (state.deletedUpTo === undefined || state.version > state.deletedUpTo)
  );
}

/** Whether a write of `version` replaces what `state` holds (it is newer than write and tombstone). */
export function writeWins(state: JobVersions, version: Version): boolean {
  return (
    (state.version === undefined || version > state.version) &&
    (state.deletedUpTo === undefined || version > state.deletedUpTo)
  );
}

/**
 * Whether a write of `incoming` replaces a write of `waiting` that has not reached the server:
 * the newer version wins, so the waiting one would lose there too.
 */
export function replacesWaiting(waiting: Version, incoming: Version): boolean {
  return incoming > waiting;
}

/**
 * Whether a write from elsewhere that replaces `mine`, a write of this device, was made without
 * it — a conflict: the user's edit lost to one whose writer never saw it, and the device keeps it
 * for them (lib/client/replaced.ts). The writer's `basedOn` (the version it held when it saved)
 * says; a write that does not say was made without `mine` only if `mine` had not reached the
 * server yet (nobody could have seen it). The newer version is the job either way: this decides
 * only whether the user is told.
 */
export function replacedUnseen(
  mine: Version,
  incoming: { readonly version: Version; readonly basedOn?: Version | undefined },
  mineReachedServer: boolean,
): boolean {
  if (!(incoming.version > mine)) return false;
  return incoming.basedOn !== undefined ? incoming.basedOn < mine : !mineReachedServer;
}

/** Whether a delete covering up to `upTo` changes `state` (its tombstone moves forward). */
export function deleteAdvances(state: JobVersions, upTo: Version): boolean {
  return state.deletedUpTo === undefined || upTo > state.deletedUpTo;
}

/** The state after merging `other` into `state`. */
export function mergeVersions(state: JobVersions, other: JobVersions): JobVersions {
  return {
    version: maxVersion(state.version, other.version),
    deletedUpTo: maxVersion(state.deletedUpTo, other.deletedUpTo),
  };
}

/**
 * The same rule in SQL, for the server's store (SQLite's `>` on TEXT is a byte comparison: the
 * same order as JavaScript's on these ASCII strings). `version` and `deleted_up_to` are the
 * `veo_jobs` columns; the incoming version is the parameter named by `param`.
 */
export const SQL_RULE = {
  /** A write of the version bound at `param` replaces what row `t` holds. */
  writeWins: (param: string, t = 'veo_jobs') =>
    `(${param} > ${t}.version AND (${t}.deleted_up_to IS NULL OR ${param} > ${t}.deleted_up_to))`,
  /** Row `t` is live. */
  isLive: (t = 'veo_jobs') =>
    `(${t}.version <> '' AND (${t}.deleted_up_to IS NULL OR ${t}.version > ${t}.deleted_up_to))`,
  /** The tombstone of row `t` after a delete covering up to `param`. */
  mergedTombstone: (param: string, t = 'veo_jobs') =>
    `(CASE WHEN ${t}.deleted_up_to IS NULL OR ${param} > ${t}.deleted_up_to THEN ${param} ELSE ${t}.deleted_up_to END)`,
} as const;
