// The host config file: schema, defaults, strict JSON with exact error positions, file safety, flag overrides.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig, loadConfig, mergeConfig, parseConfig, type HostConfig } from '../../src/session/config.js';
import { assertAt, configError, hostFile } from './helpers.js';

const ENV = { XDG_CONFIG_HOME: '/xdg' };
const DEFAULTS: HostConfig = {
  guestApprovalRequired: false,
  anonymousGuestApproval: 'prompt',
  readOnly: false,
  allowGuestCommandControl: false,
  shareExternalFiles: true,
  trustedGuestsFile: '/xdg/lspair/trusted-guests.json',
  servers: {},
  adapters: {},
};

const FULL = `{
  "$schema": "../schemas/lspair.schema.json",
  "guestApprovalRequired": true,
  "anonymousGuestApproval": "reject",
  "readOnly": true,
  "allowGuestCommandControl": true,
  "shareExternalFiles": false,
  "trustedGuestsFile": "/etc/lspair/guests.json",
  "listen": "[::1]:7000",
  "relay": "wss://relay.example.com/lspair",
  "servers": {
    "pyright": {
      "command": "pyright-langserver", "args": ["--stdio"], "languages": ["python"], "filePatterns": ["**/*.py"],
      "initializationOptions": { "a": 1 }, "settings": { "python": { "analysis": {} } }
    },
    "ts": { "command": "typescript-language-server" }
  },
  "adapters": {
    "debugpy": { "command": "/usr/bin/python3", "args": ["-m", "debugpy.adapter"] },
    "lldb": { "command": "lldb-vscode-16" }
  }
}
`;

const schema = JSON.parse(readFileSync(new URL('../../schemas/lspair.schema.json', import.meta.url), 'utf8'));

const schemaSuite = suite('schema');
schemaSuite('draft-07, every object with properties closed to unknown keys, a description on every property', () => {
  assert.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  const undescribed: string[] = [];
  const walk = (node: Record<string, unknown>, at: string): void => {
    for (const [name, sub] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof sub.description !== 'string') undescribed.push(`${at}/${name}`);
      walk(sub, `${at}/${name}`);
    }
    if (node.properties) assert.is(node.additionalProperties, false, `${at} is not closed`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as Record<string, unknown>, `${at}/*`);
  };
  walk(schema, '');
  assert.equal(undescribed, []);
  assert.is(schema.additionalProperties, false);
});
schemaSuite('its properties are exactly HostConfig\'s (and $schema)', () => {
  const config = parseConfig(FULL, '/c/lspair.json', ENV);
  assert.equal(Object.keys(schema.properties).sort(), ['$schema', ...Object.keys(config)].sort());
});
schemaSuite.run();

const defaults = suite('defaults');
defaults('defaultConfig: Live Share\'s defaults, no listen or relay, trusted guests under XDG_CONFIG_HOME', () => {
  assert.equal(defaultConfig(ENV), DEFAULTS);
  assert.not.ok('listen' in defaultConfig(ENV) || 'relay' in defaultConfig(ENV));
});
defaults('without XDG_CONFIG_HOME the trusted-guests file is under ~/.config', () => {
  assert.is(defaultConfig({}).trustedGuestsFile, path.join(os.homedir(), '.config/lspair/trusted-guests.json'));
  assert.is(defaultConfig({ XDG_CONFIG_HOME: '' }).trustedGuestsFile, path.join(os.homedir(), '.config/lspair/trusted-guests.json'));
});
defaults('each call gives fresh values (no shared default objects)', () => {
  const a = defaultConfig(ENV);
  (a.servers as Record<string, unknown>).x = { command: 'x' };
  assert.equal(defaultConfig(ENV).servers, {});
});
defaults('an empty object is the defaults', () => {
  assert.equal(parseConfig('{}', '/c/lspair.json', ENV), DEFAULTS);
});
defaults.run();

const parsing = suite('parsing');
parsing('a full file, typed, with defaults filled in per server and adapter, $schema dropped', () => {
  assert.equal(parseConfig(FULL, '/c/lspair.json', ENV), {
    guestApprovalRequired: true,
    anonymousGuestApproval: 'reject',
    readOnly: true,
    allowGuestCommandControl: true,
    shareExternalFiles: false,
    trustedGuestsFile: '/etc/lspair/guests.json',
    listen: '[::1]:7000',
    relay: 'wss://relay.example.com/lspair',
    servers: {
      pyright: {
        command: 'pyright-langserver', args: ['--stdio'], languages: ['python'], filePatterns: ['**/*.py'],
        initializationOptions: { a: 1 }, settings: { python: { analysis: {} } },
      },
      ts: { command: 'typescript-language-server', args: [], languages: [], filePatterns: [] },
    },
    adapters: {
      debugpy: { command: '/usr/bin/python3', args: ['-m', 'debugpy.adapter'] },
      lldb: { command: 'lldb-vscode-16', args: [] },
    },
  });
});
parsing('a relative trustedGuestsFile is relative to the config file', () => {
  assert.is(parseConfig('{"trustedGuestsFile": "keys/guests.json"}', '/c/d/lspair.json', ENV).trustedGuestsFile, '/c/d/keys/guests.json');
  assert.is(parseConfig('{"trustedGuestsFile": "../guests.json"}', '/c/d/lspair.json', ENV).trustedGuestsFile, '/c/guests.json');
});
parsing('loadConfig reads a safe file', () => {
  const file = hostFile('lspair.json', '{"readOnly": true, "trustedGuestsFile": "g.json"}', 0o644);
  const config = loadConfig(file, ENV);
  assert.is(config.readOnly, true);
  assert.is(config.trustedGuestsFile, path.join(path.dirname(file), 'g.json'));
});
parsing.run();

/** [what, text, line, column, reason]. */
const FAULTS: [string, string, number, number, RegExp][] = [
  ['trailing comma', '{\n  "readOnly": true,\n}\n', 3, 1, /^invalid JSON: PropertyNameExpected$/],
  ['trailing comma in an array', '{"servers": {"a": {"command": "x", "args": ["y",]}}}', 1, 49, /^invalid JSON: ValueExpected$/],
  ['line comment', '{\n  // no comments\n  "readOnly": true\n}', 2, 3, /^invalid JSON: InvalidCommentToken$/],
  ['block comment', '{"readOnly": /* no */ true}', 1, 14, /^invalid JSON: InvalidCommentToken$/],
  ['unquoted key', '{readOnly: true}', 1, 2, /^invalid JSON: /],
  ['single quotes', "{'readOnly': true}", 1, 2, /^invalid JSON: /],
  ['text after the object', '{} {}', 1, 4, /^invalid JSON: EndOfFileExpected$/],
  ['control character in a string', '{"listen": "a\tb:1"}', 1, 12, /^invalid JSON: InvalidCharacter$/],
  ['empty file', '', 1, 1, /^invalid JSON: /],
  ['whitespace only', '\n\n  ', 3, 3, /^invalid JSON: /],
  ['duplicate key', '{"readOnly": true, "readOnly": false}', 1, 20, /^duplicate key "readOnly"$/],
  ['duplicate key, nested', '{\n  "servers": {\n    "py": { "command": "a", "command": "b" }\n  }\n}', 3, 29, /^duplicate key "command"$/],
  ['duplicate server', '{\n  "servers": {\n    "py": { "command": "a" },\n    "py": { "command": "b" }\n  }\n}', 4, 5, /^duplicate key "py"$/],
  ['misspelt key', '{\n  "readonly": true\n}', 2, 3, /^not a valid lspair config: unknown property "readonly" at the top level \(did you mean "readOnly"\?\)$/],
  ['unknown key', '{"colour": 1}', 1, 2, /^not a valid lspair config: unknown property "colour" at the top level$/],
  ['wrong type', '{\n  "readOnly": "yes"\n}', 2, 15, /^not a valid lspair config: at \/readOnly: must be boolean$/],
  ['not an object', '[]', 1, 1, /^not a valid lspair config: at the top level: must be object$/],
  ['bad enum value', '{"anonymousGuestApproval": "ask"}', 1, 28, /^not a valid lspair config: at \/anonymousGuestApproval: must be equal to one of the allowed values: "prompt", "accept", "reject"$/],
  ['listen without a port', '{"listen": "127.0.0.1"}', 1, 12, /^not a valid lspair config: at \/listen: "127\.0\.0\.1" is not valid here \(HOST:PORT/],
  ['relay over http', '{"relay": "http://relay"}', 1, 11, /at \/relay: "http:\/\/relay" is not valid here \(.*ws:\/\/ or wss:\/\/ URL/],
  ['server without a command', '{"servers": {"py": {"args": []}}}', 1, 20, /at \/servers\/py: must have required property 'command'$/],
  ['server with an empty command', '{"servers": {"py": {"command": ""}}}', 1, 32, /at \/servers\/py\/command: must NOT have fewer than 1 characters$/],
  ['unknown server property', '{"servers": {"py": {"command": "x", "arg": []}}}', 1, 37, /unknown property "arg" at \/servers\/py$/],
  ['bad server name', '{"servers": {"../x": {"command": "x"}}}', 1, 14, /invalid name "\.\.\/x" at \/servers: must match pattern/],
  ['adapter argument not a string', '{"adapters": {"d": {"command": "x", "args": [1]}}}', 1, 46, /at \/adapters\/d\/args\/0: must be string$/],
  ['initializationOptions not an object', '{"servers": {"py": {"command": "x", "initializationOptions": []}}}', 1, 62, /at \/servers\/py\/initializationOptions: must be object$/],
  ['error deep in a pretty file', '{\n  "readOnly": false,\n  "servers": {\n    "ts": {\n      "command": "tsls",\n      "args": ["--stdio", 3]\n    }\n  }\n}\n', 6, 27, /at \/servers\/ts\/args\/1: must be string$/],
  ['after a byte-order mark (columns as an editor shows them)', '\ufeff{"readonly": true}', 1, 2, /unknown property "readonly"/],
  ['CRLF line ends', '{\r\n  "readOnly": true,\r\n  "readonly": true\r\n}', 3, 3, /unknown property "readonly"/],
];

const faults = suite('malformed files: file, line and column');
for (const [what, text, line, column, reason] of FAULTS) {
  faults(what, () => {
    const file = hostFile('lspair.json', text);
    assertAt(configError(() => loadConfig(file, ENV)), file, line, column, reason);
  });
}
faults('a missing config file is an error naming it', () => {
  const error = configError(() => loadConfig('/no/such/lspair.json', ENV));
  assert.is(error.message, '/no/such/lspair.json: no such file');
  assert.is(error.position, undefined);
});
faults('a config file others could write is refused (it says what runs on the host)', () => {
  const file = hostFile('lspair.json', '{}', 0o664);
  assert.match(configError(() => loadConfig(file, ENV)).message, /writable by group or others \(mode 664\)/);
});
faults.run();

const merging = suite('mergeConfig: flags over the file');
merging('defined overrides win, undefined ones (flags not given) leave the setting; the base is untouched', () => {
  const base = parseConfig(FULL, '/c/lspair.json', ENV);
  const before = structuredClone(base);
  const merged = mergeConfig(base, { readOnly: false, listen: undefined, relay: 'ws://127.0.0.1:9000', anonymousGuestApproval: 'accept', guestApprovalRequired: undefined });
  assert.equal(merged, { ...base, readOnly: false, relay: 'ws://127.0.0.1:9000', anonymousGuestApproval: 'accept' });
  assert.equal(base, before);
});
merging('servers and adapters are replaced by name, others kept; a replacement gets its defaults', () => {
  const base = parseConfig(FULL, '/c/lspair.json', ENV);
  const merged = mergeConfig(base, { servers: { ts: { command: 'tsls' } as never, go: { command: 'gopls' } as never } });
  assert.equal(Object.keys(merged.servers).sort(), ['go', 'pyright', 'ts']);
  assert.equal(merged.servers.ts, { command: 'tsls', args: [], languages: [], filePatterns: [] });
  assert.equal(merged.servers.pyright, base.servers.pyright);
  assert.equal(merged.adapters, base.adapters);
});
merging('overrides are checked like the file; the error names the command line', () => {
  const error = configError(() => mergeConfig(defaultConfig(ENV), { anonymousGuestApproval: 'maybe' as never }));
  assert.is(error.message, 'command line: not a valid setting: at /anonymousGuestApproval: must be equal to one of the allowed values: "prompt", "accept", "reject"');
  assert.is(error.position, undefined);
});
merging('listen: HOST:PORT with a port up to 65535; relay: a ws:// or wss:// URL', () => {
  const base = defaultConfig(ENV);
  for (const listen of ['127.0.0.1:7000', '[::1]:0', ':7000', 'localhost:65535', 'example.com:1']) assert.is(mergeConfig(base, { listen }).listen, listen);
  for (const listen of ['127.0.0.1', 'host:65536', 'host:99999', '::1:7000', 'host:', 'host:-1', 'host:7000 ', '[::1]7000', '']) {
    assert.match(configError(() => mergeConfig(base, { listen })).message, /at \/listen: .* is not valid here \(HOST:PORT/, listen);
  }
  for (const relay of ['ws://127.0.0.1:9000', 'wss://relay.example.com', 'wss://relay.example.com/lspair/v1']) assert.is(mergeConfig(base, { relay }).relay, relay);
  for (const relay of ['http://relay', 'ws://', 'wss://user@host', 'ws://host?x=1', 'relay.example.com', 'ws://a b']) {
    assert.match(configError(() => mergeConfig(base, { relay })).message, /at \/relay: /, relay);
  }
});
merging.run();
