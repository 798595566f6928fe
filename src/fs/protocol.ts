// The file service between host and guest: JSON-RPC (vscode-jsonrpc framing) on a mux stream of kind `files`.
// The guest asks (list, stat, read, external, write); the host answers under its policy and tells each guest
// what changed. Contents travel base64-encoded, in chunks, so one large file never holds the stream for long.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/node.js';

/** The mux stream kind the host serves files on. */
export const FILES_STREAM = 'files';

export type EntryType = 'file' | 'dir';

/** A path a guest may know of: share-relative, `/`-separated (see paths.ts), with what a resync compares. */
export interface Entry {
  readonly path: string;
  readonly type: EntryType;
  /** Bytes (0 for a folder). */
  readonly size: number;
  /** Last modification on the host, in ms since the epoch (0 for a folder). */
  readonly mtime: number;
  /** Set on a hidden file (never listed; reported only to a guest that read it). */
  readonly hidden?: true;
}

/** One piece of a file: `data` is base64; `size` and `mtime` describe the whole file when it was read. */
export interface Chunk {
  readonly data: string;
  readonly size: number;
  readonly mtime: number;
}

export interface ReadParams {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

export interface ExternalParams {
  readonly token: string;
  readonly offset: number;
  readonly length: number;
}

export interface WriteParams {
  readonly path: string;
  /** The whole new contents, base64. */
  readonly data: string;
}

export type Change = { readonly type: 'created' | 'changed'; readonly entry: Entry } | { readonly type: 'deleted'; readonly path: string };

/** Every visible file and folder (never a hidden or excluded one). */
export const List = new RequestType0<{ entries: Entry[] }, void>('fs/list');
/** Several paths at once (visible or hidden): null for one that is missing or not shared. */
export const Stat = new RequestType<{ paths: string[] }, { entries: (Entry | null)[] }, void>('fs/stat');
/** A chunk of a visible or hidden file. */
export const Read = new RequestType<ReadParams, Chunk, void>('fs/read');
/** A chunk of a file outside the share that a language server referred to, by the token it was given. */
export const External = new RequestType<ExternalParams, Chunk, void>('fs/external');
/** Replaces (or creates) a file: needs `files.write`. */
export const Write = new RequestType<WriteParams, Entry, void>('fs/write');
/** Host → guest: what changed since the listing (or the last notification). */
export const Changed = new NotificationType<{ changes: Change[] }>('fs/changed');

/** Application error codes (outside JSON-RPC's reserved ranges). */
export const FILE_ERRORS = {
  invalidPath: 1001,
  notShared: 1002,
  notFound: 1003,
  tooLarge: 1004,
  denied: 1005,
  busy: 1006,
  notAFile: 1007,
} as const;

export type FileErrorCode = keyof typeof FILE_ERRORS;

export const LIMITS = {
  /** Largest chunk a read returns. */
  chunk: 1024 * 1024,
  /** Larger files are not shared (the mirror skips them; a read is refused). */
  file: 32 * 1024 * 1024,
  /** Largest write. */
  write: 8 * 1024 * 1024,
  /** Paths in one stat request. */
  stat: 1000,
  /** Requests one guest may have in progress at once. */
  concurrent: 16,
  /** Largest message a guest may send the host: a write, base64, with room for its envelope. */
  guestMessage: 12 * 1024 * 1024,
  /** Largest message a host may send a guest: a large listing. */
  hostMessage: 64 * 1024 * 1024,
  /** Entries of a listing. */
  entries: 1_000_000,
  /** Change notifications a guest has not taken yet before it is cut off as too slow. */
  backlog: 1024,
} as const;
