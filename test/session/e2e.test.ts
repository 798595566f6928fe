// Sessions end to end, with real processes on loopback: host, guests, relay, `lspair guests` and `link rotate`.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLink, parseLink } from '../../src/session/link.js';
import { LspairProcess, type Event } from '../helpers/process.js';
import { relayProcess, world } from './world.js';

const s = suite('sessions end to end');

s('direct join: same PIN on both sides, role changes reach the guest, a kicked guest cannot rejoin', async () => {
  const w = world();
  const { host, link } = await w.hosting('--anonymous', 'accept');
  assert.match(link, /^lspair:\/\/127\.0\.0\.1:\d+\//);
  const alice = w.join(link, 'alice');
  const waiting = await alice.next('waiting');
  const joined = await alice.next('joined');
  const hostSaw = (await host.next('guest-joined')) as Event & { guest: { id: string; name: string; known: boolean; role: string } };
  assert.is(hostSaw.pin, waiting.pin);
  assert.match(String(waiting.pin), /^\d{6}$/);
  assert.equal([joined.role, joined.permissions], ['viewer', ['debug.breakpoints', 'debug.inspect']]);
  assert.equal([hostSaw.guest.name, hostSaw.guest.known, hostSaw.guest.role], ['alice', false, 'viewer']);

  const list = w.guests('list');
  assert.is(list.code, 0, list.stderr);
  assert.is((JSON.parse(list.stdout) as { id: string }[])[0]!.id, hostSaw.guest.id);
  assert.is(w.guests('role', hostSaw.guest.id, 'editor').code, 0);
  const changed = await alice.next('permissions');
  assert.equal(changed.permissions, ['debug.breakpoints', 'debug.control', 'debug.inspect', 'files.write']);
  assert.is(w.guests('grant', hostSaw.guest.id, 'debug.repl').code, 0);
  assert.ok(((await alice.next('permissions')).permissions as string[]).includes('debug.repl'));
  assert.is(w.guests('grant', hostSaw.guest.id, 'debug.everything').code, 1);

  assert.is(w.guests('kick', hostSaw.guest.id).code, 0);
  assert.is(await alice.exited, 3);
  await host.next('guest-left');
  const again = w.join(link, 'alice');
  const refused = await again.next('error');
  assert.is(refused.code, 'refused');
  assert.is(await again.exited, 3);
  host.kill();
  assert.is(await host.exited, 0);
});

s('anonymous guests: prompt, then approve and reject with lspair guests; reject mode refuses outright', async () => {
  const w = world();
  const { host, link } = await w.hosting();
  const bob = w.join(link, 'bob');
  const request = (await host.next('guest-request')) as Event & { guest: { id: string } };
  assert.is(request.pin, (await bob.next('waiting')).pin);
  assert.is(w.guests('approve', request.guest.id).code, 0);
  assert.is((await bob.next('joined')).role, 'viewer');
  const carol = w.join(link, 'carol');
  const second = (await host.next('guest-request')) as Event & { guest: { id: string } };
  assert.is(w.guests('reject', second.guest.id).code, 0);
  assert.is((await carol.next('error')).code, 'refused');
  assert.is(await carol.exited, 3);
  assert.is(w.guests('approve', 'g99').code, 1);
  bob.kill();
  host.kill();
  await host.exited;

  const strict = world();
  const closed = await strict.hosting('--anonymous', 'reject');
  const dave = strict.join(closed.link, 'dave');
  assert.match(String((await dave.next('error')).message), /anonymous/);
  assert.is(await dave.exited, 3);
  closed.host.kill();
  await closed.host.exited;
});

s('rotating the link: the old one stops working, the new one works, guests already in stay', async () => {
  const w = world();
  const { host, link } = await w.hosting('--anonymous', 'accept');
  const erin = w.join(link, 'erin');
  await erin.next('joined');
  const rotated = w.rotate();
  assert.is(rotated.code, 0, rotated.stderr);
  const fresh = (JSON.parse(rotated.stdout) as { link: string }).link;
  assert.is.not(fresh, link);
  const late = w.join(link, 'frank');
  assert.is((await late.next('error')).code, 'no-session');
  assert.is(await late.exited, 3);
  const ok = w.join(fresh, 'gina');
  await ok.next('joined');
  const status = JSON.parse(w.status().stdout) as { guests: { name: string }[] };
  assert.equal(status.guests.map((g) => g.name).sort(), ['erin', 'gina']);
  erin.kill();
  ok.kill();
  host.kill();
  await host.exited;
});

s('a link whose host key is not the host\'s (a man in the middle) is refused with a key mismatch; a wrong join secret is refused', async () => {
  const w = world();
  const { host, link } = await w.hosting('--anonymous', 'accept');
  const forged = formatLink({ ...parseLink(link), hostKey: new Uint8Array(randomBytes(32)) });
  const victim = w.join(forged, 'henry');
  const error = await victim.next('error');
  assert.is(error.code, 'key-mismatch');
  assert.is(await victim.exited, 4);
  const wrongSecret = w.join(formatLink({ ...parseLink(link), secret: new Uint8Array(randomBytes(32)) }), 'ivan');
  const hungUp = await wrongSecret.next('error');
  assert.equal([hungUp.code, /join secret/.test(String(hungUp.message))], ['refused', true]);
  assert.is(await wrongSecret.exited, 3);
  host.kill();
  await host.exited;
});

s('through a relay: two guests join by the relay URL, PINs agree on both sides, one is made editor, one stays viewer; the relay never sees the secret', async () => {
  const w = world();
  const { relay, url } = await relayProcess();
  const { host, link } = await w.hosting('--relay', url, '--anonymous', 'accept');
  const parsed = parseLink(link);
  assert.is(parsed.relay, url);
  assert.equal(parsed.direct, []);
  const guests = new Map<string, { joined: LspairProcess; id: string }>();
  for (const name of ['jo', 'max']) {
    const guest = w.join(link, name);
    const waiting = await guest.next('waiting');
    assert.is((await guest.next('joined')).role, 'viewer');
    const seen = (await host.next('guest-joined')) as Event & { guest: { id: string; name: string } };
    assert.equal([seen.guest.name, seen.pin], [name, waiting.pin]);
    guests.set(name, { joined: guest, id: seen.guest.id });
  }
  const jo = guests.get('jo')!;
  assert.is(w.guests('role', jo.id, 'editor').code, 0);
  const changed = await jo.joined.next('permissions');
  assert.equal([changed.role, changed.permissions], ['editor', ['debug.breakpoints', 'debug.control', 'debug.inspect', 'files.write']]);
  const roster = (JSON.parse(w.status().stdout) as { guests: { name: string; role: string }[] }).guests.map((g) => [g.name, g.role]).sort();
  assert.equal(roster, [['jo', 'editor'], ['max', 'viewer']]);
  assert.not.ok(guests.get('max')!.joined.events.some((e) => e.event === 'permissions'), 'the viewer was left as it was');
  for (const { joined } of guests.values()) joined.kill();
  host.kill();
  await host.exited;
  relay.kill();
  await relay.exited;
  assert.not.ok(relay.stderr.includes(Buffer.from(parsed.secret).toString('base64url')));
});

s('a known guest (in the trusted-guests file) joins without a prompt, with its role; others still wait', async () => {
  const w = world();
  const ana = w.id('ana');
  const trusted = path.join(w.env('host').XDG_CONFIG_HOME, 'lspair', 'trusted-guests.json');
  mkdirSync(path.dirname(trusted), { recursive: true });
  writeFileSync(trusted, JSON.stringify({ guests: [{ publicKey: ana.publicKey, name: 'Ana (trusted)', role: 'editor' }] }), { mode: 0o600 });
  const { host, link } = await w.hosting();
  const guest = w.join(link, 'ana');
  const joined = await guest.next('joined');
  assert.is(joined.role, 'editor');
  const seen = (await host.next('guest-joined')) as Event & { guest: { known: boolean; name: string; fingerprint: string } };
  assert.equal([seen.guest.known, seen.guest.name, seen.guest.fingerprint], [true, 'Ana (trusted)', ana.fingerprint]);
  const stranger = w.join(link, 'stranger');
  assert.is(((await host.next('guest-request')) as Event & { guest: { known: boolean } }).guest.known, false);
  stranger.kill();
  guest.kill();
  host.kill();
  await host.exited;
});

s('a proxy that flips one byte from host to guest: the guest\'s channel closes with an integrity error', async () => {
  const w = world();
  const { host, link } = await w.hosting('--anonymous', 'accept');
  const target = new URL(parseLink(link).direct[0]!);
  let flip = false;
  const proxy = createTcpServer((guestSide) => {
    const hostSide = connect(Number(target.port), target.hostname);
    guestSide.pipe(hostSide);
    hostSide.on('data', (chunk: Buffer) => {
      if (flip) {
        flip = false;
        chunk[chunk.length - 1]! ^= 0x01; // the last byte of a WebSocket frame: the channel's MAC
      }
      guestSide.write(chunk);
    });
    const end = (): void => void (guestSide.destroy(), hostSide.destroy());
    guestSide.on('error', end).on('close', end);
    hostSide.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const viaProxy = formatLink({ ...parseLink(link), direct: [`ws://127.0.0.1:${(proxy.address() as AddressInfo).port}`] });
  const lee = w.join(viaProxy, 'lee');
  const joined = await lee.next('joined');
  flip = true;
  assert.is(w.guests('role', String(joined.guestId), 'editor').code, 0); // the host sends; the proxy flips
  const lost = await lee.next('reconnecting');
  assert.match(String(lost.reason), /authentication|integrity|frame/i);
  console.log(`  flipped byte: guest reports ${String(lost.reason)}`);
  lee.kill();
  host.kill();
  await host.exited;
  proxy.close();
});

s('the relay is killed and restarted: host and guest reconnect by themselves, the guest is let in again unasked', async () => {
  const w = world();
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const relayAt = () => new LspairProcess(['relay', '--listen', `127.0.0.1:${port}`, '--json'], {});
  let relay = relayAt();
  const { url } = (await relay.next('ready')) as Event & { url: string };
  const { host, link } = await w.hosting('--relay', url);
  const kim = w.join(link, 'kim');
  const request = (await host.next('guest-request')) as Event & { guest: { id: string } };
  assert.is(w.guests('approve', request.guest.id).code, 0);
  await kim.next('joined');
  await host.next('guest-joined');

  relay.kill('SIGKILL');
  await relay.exited;
  await kim.next('reconnecting');
  const lost = Date.now();
  relay = relayAt();
  await relay.next('ready');
  await kim.next('joined', 60_000);
  const back = (await host.next('guest-joined', 60_000)) as Event & { guest: { name: string } };
  console.log(`  relay restart: guest back in ${Date.now() - lost} ms after the loss was noticed`);
  assert.is(back.guest.name, 'kim');
  assert.not.ok(host.events.filter((e) => e.event === 'guest-request').length > 1, 'no second prompt for the same key');
  host.kill();
  assert.is(await kim.exited, 0);
  await host.exited;
  relay.kill();
  await relay.exited;
});

s.run();
