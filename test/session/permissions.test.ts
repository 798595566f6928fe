// The permission model: the table, roles, explicit-only permissions, grants and revokes, host-wide settings.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  PERMISSIONS, PermissionError, ROLES, effectivePermissions, grant, grantsOf, isPermission, isRole, permissionsFor, revoke, toPermission, toRole, withRole,
  type HostSettings, type Permission,
} from '../../src/session/permissions.js';

const ALL = PERMISSIONS.map((p) => p.name);
const EXPLICIT_ONLY = ['debug.repl', 'lsp.commands', 'ports', 'terminal.read', 'terminal.write'];
const VIEWER = ['debug.breakpoints', 'debug.inspect'];
const EDITOR = ['debug.breakpoints', 'debug.control', 'debug.inspect', 'files.write'];
const PLAIN: HostSettings = { readOnly: false, allowGuestCommandControl: false };
const SETTINGS: HostSettings[] = [PLAIN, { readOnly: true, allowGuestCommandControl: false }, { readOnly: false, allowGuestCommandControl: true }, { readOnly: true, allowGuestCommandControl: true }];

const table = suite('the table');
table('has the nine permissions, each once, sorted by name, each described', () => {
  assert.equal(ALL, ['debug.breakpoints', 'debug.control', 'debug.inspect', 'debug.repl', 'files.write', 'lsp.commands', 'ports', 'terminal.read', 'terminal.write']);
  assert.equal([...ALL].sort(), ALL);
  for (const p of PERMISSIONS) assert.ok(p.description.length > 10, p.name);
});
table('explicit-only permissions are exactly the ones no role lists', () => {
  assert.equal(PERMISSIONS.filter((p) => p.explicitOnly).map((p) => p.name), EXPLICIT_ONLY);
  for (const p of PERMISSIONS) assert.is(p.explicitOnly, p.roles.length === 0, p.name);
});
table.run();

const roles = suite('roles');
roles('viewer = debug.inspect + debug.breakpoints; editor = viewer + files.write + debug.control', () => {
  assert.equal(ROLES, ['viewer', 'editor']);
  assert.equal(permissionsFor('viewer'), VIEWER);
  assert.equal(permissionsFor('editor'), EDITOR);
  assert.ok(VIEWER.every((p) => EDITOR.includes(p)));
});
roles('explicit-only permissions never come from a role, under any host setting', () => {
  for (const role of ROLES) {
    for (const p of permissionsFor(role)) assert.not.ok(EXPLICIT_ONLY.includes(p), `${role} has ${p}`);
    for (const host of SETTINGS.filter((h) => !h.allowGuestCommandControl)) {
      for (const p of effectivePermissions(grantsOf(role), host)) assert.not.ok(EXPLICIT_ONLY.includes(p), `${role} has ${p}`);
    }
  }
});
roles('isRole and toRole', () => {
  assert.ok(isRole('viewer') && isRole('editor'));
  for (const x of ['Viewer', 'owner', '', undefined, 1, null]) assert.not.ok(isRole(x));
  assert.is(toRole('editor'), 'editor');
  assert.throws(() => toRole('admin'), (e: Error) => e instanceof PermissionError && e.message === 'unknown role "admin"; one of: viewer, editor');
});
roles.run();

const names = suite('permission names');
names('isPermission accepts exactly the table names', () => {
  for (const p of ALL) assert.ok(isPermission(p), p);
  for (const x of ['Files.Write', 'files.write ', 'files', 'debug.*', '', 'toString', 'constructor', undefined, null, 0, {}, ['files.write']]) assert.not.ok(isPermission(x), String(x));
});
names('toPermission names the bad value and lists the valid ones', () => {
  assert.is(toPermission('ports'), 'ports');
  assert.throws(() => toPermission('files.wrte'), (e: Error) => e instanceof PermissionError
    && e.message === `unknown permission "files.wrte"; one of: ${ALL.join(', ')}`);
  assert.throws(() => toPermission(undefined), /unknown permission undefined;/);
  assert.throws(() => toPermission(42), /unknown permission 42;/);
});
names.run();

const explicit = suite('grants and revokes');
explicit('permissionsFor: role plus grants minus revokes; a revoke beats both; sorted, without repeats', () => {
  assert.equal(permissionsFor('viewer', ['ports', 'debug.repl', 'ports']), ['debug.breakpoints', 'debug.inspect', 'debug.repl', 'ports']);
  assert.equal(permissionsFor('editor', [], ['files.write']), ['debug.breakpoints', 'debug.control', 'debug.inspect']);
  assert.equal(permissionsFor('viewer', ['lsp.commands'], ['lsp.commands']), VIEWER);
  assert.ok(Object.isFrozen(permissionsFor('viewer')));
});
explicit('grantsOf checks every name and the role', () => {
  assert.equal(grantsOf('viewer'), { role: 'viewer', grants: [], revokes: [] });
  assert.equal(grantsOf('editor', ['terminal.read', 'debug.repl', 'debug.repl'], ['files.write']), { role: 'editor', grants: ['debug.repl', 'terminal.read'], revokes: ['files.write'] });
  assert.throws(() => grantsOf('viewer', ['root']), (e: Error) => e instanceof PermissionError);
  assert.throws(() => grantsOf('viewer', [], ['files.*']), (e: Error) => e instanceof PermissionError);
  assert.throws(() => grantsOf('owner' as never), /unknown role "owner"/);
});
explicit('grant, revoke and withRole return new frozen values and leave the old ones alone', () => {
  const start = grantsOf('viewer');
  const granted = grant(start, 'lsp.commands');
  const revoked = revoke(granted, 'debug.breakpoints');
  const promoted = withRole(revoked, 'editor');
  assert.equal(start, { role: 'viewer', grants: [], revokes: [] });
  assert.equal(granted, { role: 'viewer', grants: ['lsp.commands'], revokes: [] });
  assert.equal(revoked, { role: 'viewer', grants: ['lsp.commands'], revokes: ['debug.breakpoints'] });
  assert.equal(promoted, { role: 'editor', grants: ['lsp.commands'], revokes: ['debug.breakpoints'] });
  for (const g of [start, granted, revoked, promoted]) assert.ok(Object.isFrozen(g) && Object.isFrozen(g.grants) && Object.isFrozen(g.revokes));
  assert.throws(() => { (granted.grants as Permission[]).push('ports'); }, (e: Error) => e instanceof TypeError);
});
explicit('a revoke beats the role, survives a role change and is lifted only by a grant', () => {
  const editor = revoke(grantsOf('editor'), 'debug.control');
  assert.equal(effectivePermissions(editor, PLAIN), ['debug.breakpoints', 'debug.inspect', 'files.write']);
  const demotedThenPromoted = withRole(withRole(editor, 'viewer'), 'editor');
  assert.not.ok(effectivePermissions(demotedThenPromoted, PLAIN).includes('debug.control'));
  const regranted = grant(demotedThenPromoted, 'debug.control');
  assert.equal(regranted.revokes, []);
  assert.ok(effectivePermissions(regranted, PLAIN).includes('debug.control'));
});
explicit('a grant is dropped by a later revoke of it', () => {
  assert.equal(revoke(grant(grantsOf('viewer'), 'ports'), 'ports'), { role: 'viewer', grants: [], revokes: ['ports'] });
});
explicit('granting or revoking an unknown permission is an error', () => {
  assert.throws(() => grant(grantsOf('editor'), 'terminal'), (e: Error) => e instanceof PermissionError && /unknown permission "terminal"/.test(e.message));
  assert.throws(() => revoke(grantsOf('editor'), 'FILES.WRITE'), (e: Error) => e instanceof PermissionError);
});
explicit('property: effective permissions = (role ∪ grants) \\ revokes, and explicit-only ones come only from grants', () => {
  const perm = fc.constantFrom(...ALL);
  fc.assert(fc.property(fc.constantFrom(...ROLES), fc.array(perm), fc.array(perm), (role, grants, revokes) => {
    const got = effectivePermissions(grantsOf(role, grants, revokes), PLAIN);
    const want = ALL.filter((p) => !revokes.includes(p) && (grants.includes(p) || permissionsFor(role).includes(p)));
    assert.equal(got, want);
    for (const p of got) if (EXPLICIT_ONLY.includes(p)) assert.ok(grants.includes(p), p);
  }));
});
explicit.run();

const host = suite('host-wide settings');
host('no settings: effective = permissionsFor', () => {
  const g = grantsOf('viewer', ['ports']);
  assert.equal(effectivePermissions(g, PLAIN), permissionsFor('viewer', ['ports']));
});
host('readOnly takes files.write from everyone, whether from the role or a grant', () => {
  const readOnly = { ...PLAIN, readOnly: true };
  assert.equal(effectivePermissions(grantsOf('editor'), readOnly), ['debug.breakpoints', 'debug.control', 'debug.inspect']);
  assert.equal(effectivePermissions(grantsOf('viewer', ['files.write']), readOnly), VIEWER);
});
host('allowGuestCommandControl gives lsp.commands to editors only; a revoke still wins', () => {
  const commands = { ...PLAIN, allowGuestCommandControl: true };
  assert.equal(effectivePermissions(grantsOf('editor'), commands), [...EDITOR, 'lsp.commands']);
  assert.equal(effectivePermissions(grantsOf('viewer'), commands), VIEWER);
  assert.equal(effectivePermissions(revoke(grantsOf('editor'), 'lsp.commands'), commands), EDITOR);
  assert.equal(effectivePermissions(grantsOf('viewer', ['lsp.commands']), PLAIN), [...VIEWER, 'lsp.commands']);
});
host('both settings together', () => {
  assert.equal(effectivePermissions(grantsOf('editor'), { readOnly: true, allowGuestCommandControl: true }), ['debug.breakpoints', 'debug.control', 'debug.inspect', 'lsp.commands']);
});
host('results are sorted and frozen under every setting', () => {
  for (const settings of SETTINGS) {
    const got = effectivePermissions(grantsOf('editor', ['terminal.write', 'debug.repl']), settings);
    assert.equal([...got].sort(), got);
    assert.ok(Object.isFrozen(got));
  }
});
host.run();
