// The policy layer's entry: what a guest may see of a shared folder.
export { Policy, BUILTIN_NAMES, type Decision, type Dir, type Kind, type PolicyOptions, type RuleRef, type State } from './policy.js';
export { explain, type Explanation, type SourceTrace } from './explain.js';
export { watchPolicy, type FileEvent, type FileEventType, type FileListener, type PolicyWatcher } from './watcher.js';
export type { GitignoreMode, PolicyError } from './vsls.js';
export { GuestUris, HostUris, UriError, EXTERNAL_FOLDER, EXTERNAL_SCHEME, SHARE_SCHEME, externalUri, parseNeutral, shareUri, type MirrorAccess, type Neutral, type UriMap } from './uris.js';
