// The file layer's entry: the host's file service and the guest's mirror folder.
export { HostFiles, type ExternalResolver, type FileGuest, type HostFilesOptions } from './host-files.js';
export { Mirror, type MirrorEntry, type MirrorOptions, type SyncSummary } from './mirror.js';
export { findMirror } from './mirror-folder.js';
export { checkPath, PathError } from './paths.js';
export { FILE_ERRORS, FILES_STREAM, LIMITS, type Change, type Chunk, type Entry, type FileErrorCode } from './protocol.js';
