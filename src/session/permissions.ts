// The permission model, enforced on the host. One declarative table says what each permission allows and which
// roles include it; roles, grants, revokes and the host-wide settings are all computed from it.

export const ROLES = ['viewer', 'editor'] as const;
export type Role = (typeof ROLES)[number];

export interface PermissionInfo {
  readonly name: string;
  readonly description: string;
  /** The roles that include it. Empty for explicit-only permissions. */
  readonly roles: readonly Role[];
  /** Only ever granted by name (or a host setting), never by a role: it lets a guest run code or reach the host's machine. */
  readonly explicitOnly: boolean;
}

/** Sorted by name, so every list derived from it is sorted too. */
export const PERMISSIONS = [
  { name: 'debug.breakpoints', description: 'Set and clear breakpoints (conditions and log messages also need debug.repl).', roles: ['viewer', 'editor'], explicitOnly: false },
  { name: 'debug.control', description: 'Continue, pause and step the debug session.', roles: ['editor'], explicitOnly: false },
  { name: 'debug.inspect', description: 'See threads, stack frames, scopes, variables and sources of the debug session.', roles: ['viewer', 'editor'], explicitOnly: false },
  { name: 'debug.repl', description: 'Evaluate expressions and change variables in the debuggee (runs code on the host).', roles: [], explicitOnly: true },
  { name: 'files.write', description: 'Edit shared files.', roles: ['editor'], explicitOnly: false },
  { name: 'lsp.commands', description: "Run language-server commands, alone or inside code actions and lenses (Live Share's allowGuestCommandControl).", roles: [], explicitOnly: true },
  { name: 'ports', description: 'Reach the ports the host shares.', roles: [], explicitOnly: true },
  { name: 'terminal.read', description: "See the host's shared terminals.", roles: [], explicitOnly: true },
  { name: 'terminal.write', description: "Type into the host's shared terminals.", roles: [], explicitOnly: true },
] as const satisfies readonly PermissionInfo[];

export type Permission = (typeof PERMISSIONS)[number]['name'];

/** What a guest holds: a role plus the host's explicit decisions, which beat the role. Immutable. */
export interface Grants {
  readonly role: Role;
  readonly grants: readonly Permission[];
  readonly revokes: readonly Permission[];
}

/** Host-wide settings (from the config file or flags) that apply to every guest. */
export interface HostSettings {
  readonly readOnly: boolean;
  readonly allowGuestCommandControl: boolean;
}

export class PermissionError extends Error {
  override readonly name = 'PermissionError';
}

const NAMES: readonly Permission[] = PERMISSIONS.map((info) => info.name);

export function isPermission(x: unknown): x is Permission {
  return NAMES.includes(x as Permission);
}

export function isRole(x: unknown): x is Role {
  return ROLES.includes(x as Role);
}

function unknown(kind: string, x: unknown, known: readonly string[]): PermissionError {
  return new PermissionError(`unknown ${kind} ${JSON.stringify(x) ?? String(x)}; one of: ${known.join(', ')}`);
}

/** `x` as a permission, or a PermissionError that lists the valid names. */
export function toPermission(x: unknown): Permission {
  if (!isPermission(x)) throw unknown('permission', x, NAMES);
  return x;
}

export function toRole(x: unknown): Role {
  if (!isRole(x)) throw unknown('role', x, ROLES);
  return x;
}

/** The table's permissions that pass `keep`, in (sorted) table order, deduplicated, frozen. */
function select(keep: (p: Permission, info: PermissionInfo) => boolean): readonly Permission[] {
  return Object.freeze(PERMISSIONS.filter((info) => keep(info.name, info)).map((info) => info.name));
}

/** The role's permissions, plus grants, minus revokes (a revoke beats both). */
export function permissionsFor(role: Role, grants: Iterable<Permission> = [], revokes: Iterable<Permission> = []): readonly Permission[] {
  const granted = new Set(grants);
  const revoked = new Set(revokes);
  return select((p, info) => !revoked.has(p) && (granted.has(p) || info.roles.includes(role)));
}

/** A Grants value; every name is checked (an unknown one is a PermissionError). */
export function grantsOf(role: Role, grants: Iterable<unknown> = [], revokes: Iterable<unknown> = []): Grants {
  const granted = new Set([...grants].map(toPermission));
  const revoked = new Set([...revokes].map(toPermission));
  return Object.freeze({ role: toRole(role), grants: select((p) => granted.has(p)), revokes: select((p) => revoked.has(p)) });
}

/** Changes the role; explicit grants and revokes stay, being the host's decisions by name. */
export function withRole(g: Grants, role: Role): Grants {
  return grantsOf(role, g.grants, g.revokes);
}

/** Grants a permission by name, lifting an earlier revoke of it. */
export function grant(g: Grants, permission: unknown): Grants {
  const p = toPermission(permission);
  return grantsOf(g.role, [...g.grants, p], g.revokes.filter((r) => r !== p));
}

/** Revokes a permission by name, even one that the role includes, dropping an earlier grant of it. */
export function revoke(g: Grants, permission: unknown): Grants {
  const p = toPermission(permission);
  return grantsOf(g.role, g.grants.filter((r) => r !== p), [...g.revokes, p]);
}

/** Host settings as rules applied after role, grants and revokes; `roles` limits whom a rule applies to. */
const SETTING_RULES: readonly { setting: keyof HostSettings; effect: 'add' | 'remove'; permission: Permission; roles?: readonly Role[] }[] = [
  // Live Share's allowGuestCommandControl: editors may run commands. An explicit revoke still wins.
  { setting: 'allowGuestCommandControl', effect: 'add', permission: 'lsp.commands', roles: ['editor'] },
  // A read-only session: nobody writes, whatever their role or grants.
  { setting: 'readOnly', effect: 'remove', permission: 'files.write' },
];

/** What a guest may do right now: its grants under the host-wide settings. */
export function effectivePermissions(g: Grants, host: HostSettings): readonly Permission[] {
  const held = new Set(permissionsFor(g.role, g.grants, g.revokes));
  for (const rule of SETTING_RULES) {
    if (!host[rule.setting] || !(rule.roles ?? ROLES).includes(g.role)) continue;
    if (rule.effect === 'remove') held.delete(rule.permission);
    else if (!g.revokes.includes(rule.permission)) held.add(rule.permission);
  }
  return select((p) => held.has(p));
}
