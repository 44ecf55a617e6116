/**
 * The web host's WebSocket refuses what the Electron handlers refuse, on the real server
 * (main/web-host/server.ts) in front of a real AppCore on the simulator, with each core handler
 * counted: sockets without the token, from a foreign Origin or Host, or on another path; malformed
 * frames (the socket is closed); unknown channels; and, for every invoke channel of the contract,
 * every JSON-carriable invalid payload of ipc-rejection-cases.ts — all answered with the Result error
 * envelope and none reaching the core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { INVOKE_CHANNELS, type InvokeChannel } from '../../shared/ipc.js';
import type { InvokeHandlers } from '../../main/app/dispatch.js';
import { createLog } from '../../main/engine/log.js';
import { startCore, type CoreHarness } from '../app/helpers.js';
import { CHANNELS, mutationsOf, SAMPLES } from '../app/ipc-rejection-cases.js';
import { MAX_FRAME_BYTES } from '../../shared/web-host-protocol.js';
import { startWebHost, type WebHost } from '../../main/web-host/server.js';

const REFUSED = { ok: false, error: { code: 'bad-input', message: expect.any(String), retryable: false } };

/** Opens a socket; resolves with it once open, or with the HTTP status of the refusal. */
function connect(url: string, options: WebSocket.ClientOptions): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', () => resolve(-1));
  });
}

/** A socket that answers invokes by id, skipping event frames, and records how it closed. */
class Peer {
  private nextId = 1;
  private readonly waiting = new Map<number, (frame: unknown) => void>();
  readonly closed: Promise<number>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; id?: number };
      if (frame.type === 'result' && frame.id !== undefined) this.waiting.get(frame.id)?.(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }
  /** Sends one invoke frame and resolves with its Result. */
  async invoke(channel: string, payload: unknown): Promise<unknown> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve) => this.waiting.set(id, resolve));
    this.ws.send(JSON.stringify({ type: 'invoke', id, channel, payload }));
    const frame = (await Promise.race([answer, this.closed.then((code) => ({ closed: code }))])) as { result?: unknown; closed?: number };
    this.waiting.delete(id);
    if (frame.closed !== undefined) throw new Error(`the socket closed (${frame.closed}) instead of answering`);
    return frame.result;
  }
}

describe('web host WebSocket', () => {
  let h: CoreHarness;
  let host: WebHost;
  const calls: InvokeChannel[] = [];
  const open: WebSocket[] = [];

  beforeAll(async () => {
    h = await startCore();
    const counted = Object.fromEntries(
      INVOKE_CHANNELS.map((c) => [
        c,
        (request: unknown) => {
          calls.push(c);
          return (h.core.handlers[c] as (r: unknown) => unknown)(request);
        },
      ]),
    ) as unknown as InvokeHandlers;
    host = await startWebHost({
      core: { handlers: counted, snapshot: (c) => h.core.snapshot(c), subscribe: (l) => h.core.subscribe(l) },
      log: createLog({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await host?.close();
    await h?.close();
  });

  const good = () => `${host.ipcUrl}?token=${host.token}`;
  const peer = async (): Promise<Peer> => {
    const ws = await connect(good(), { origin: host.origin });
    if (typeof ws === 'number') throw new Error(`the socket was refused (${ws})`);
    open.push(ws);
    return new Peer(ws);
  };

  it('refuses sockets without the right token, Origin, Host or path', async () => {
    const base = host.ipcUrl;
    const otherToken = host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A');
    const refusals: Array<[string, string, WebSocket.ClientOptions, number]> = [
      ['no token', base, { origin: host.origin }, 403],
      ['an empty token', `${base}?token=`, { origin: host.origin }, 403],
      ['a wrong token of the same length', `${base}?token=${otherToken}`, { origin: host.origin }, 403],
      ['a prefix of the token', `${base}?token=${host.token.slice(0, 10)}`, { origin: host.origin }, 403],
      ['the token under another name', `${base}?tok=${host.token}`, { origin: host.origin }, 403],
      ['no Origin', good(), {}, 403],
      ['a foreign Origin', good(), { origin: 'https://evil.example' }, 403],
      ['the null Origin', good(), { origin: 'null' }, 403],
      ['our host with https', good(), { origin: host.origin.replace('http:', 'https:') }, 403],
      ['another port on 127.0.0.1', good(), { origin: `http://127.0.0.1:${host.port + 1}` }, 403],
      ['a foreign Host (DNS rebinding)', good(), { origin: host.origin, headers: { host: `evil.example:${host.port}` } }, 421],
      ['another path', `http://127.0.0.1:${host.port}/other?token=${host.token}`.replace('http:', 'ws:'), { origin: host.origin }, 404],
    ];
    calls.length = 0;
    for (const [what, url, options, status] of refusals) expect(await connect(url, options), what).toBe(status);
    expect(calls).toEqual([]);
    const ws = await connect(good(), { origin: host.origin });
    expect(ws).toBeInstanceOf(WebSocket);
    open.push(ws as WebSocket);
  });

  it('closes the socket on a malformed frame, without reaching the core', async () => {
    const frames: Array<[string, string | Buffer, number]> = [
      ['text that is not JSON', 'hello', 1003],
      ['a binary frame', Buffer.from(JSON.stringify({ type: 'invoke', id: 1, channel: 'app:info' })), 1003],
      ['JSON null', 'null', 1003],
      ['a JSON number', '42', 1003],
      ['a JSON array', JSON.stringify([{ type: 'invoke', id: 1, channel: 'app:info' }]), 1003],
      ['an event frame', JSON.stringify({ type: 'event', channel: 'transfers:changed', payload: {} }), 1003],
      ['no type', JSON.stringify({ id: 1, channel: 'app:info' }), 1003],
      ['no id', JSON.stringify({ type: 'invoke', channel: 'app:info' }), 1003],
      ['a text id', JSON.stringify({ type: 'invoke', id: '1', channel: 'app:info' }), 1003],
      ['a fractional id', JSON.stringify({ type: 'invoke', id: 1.5, channel: 'app:info' }), 1003],
      ['an unsafe integer id', JSON.stringify({ type: 'invoke', id: 2 ** 60, channel: 'app:info' }), 1003],
      ['no channel', JSON.stringify({ type: 'invoke', id: 1 }), 1003],
      ['a number as channel', JSON.stringify({ type: 'invoke', id: 1, channel: 7 }), 1003],
      ['an object as channel', JSON.stringify({ type: 'invoke', id: 1, channel: { toString: 'app:info' } }), 1003],
      ['a frame beyond the size limit', JSON.stringify({ type: 'invoke', id: 1, channel: 'settings:set', payload: { downloadFolder: 'x'.repeat(MAX_FRAME_BYTES) } }), 1009],
    ];
    calls.length = 0;
    for (const [what, data, code] of frames) {
      const p = await peer();
      p.ws.send(data);
      expect(await p.closed, what).toBe(code);
    }
    expect(calls).toEqual([]);
  });

  it('answers unknown channels with the error envelope and keeps the socket', async () => {
    const p = await peer();
    calls.length = 0;
    for (const channel of ['engines:nuke', '', 'app:info ', 'APP:INFO', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'transfers:changed', 'x'.repeat(100_000)]) {
      expect(await p.invoke(channel, undefined), channel.slice(0, 40)).toEqual(REFUSED);
    }
    expect(calls).toEqual([]);
    expect(await p.invoke('app:info', undefined)).toMatchObject({ ok: true });
  });

  describe.each(CHANNELS)('%s', (channel) => {
    it('passes valid requests to the core and refuses every invalid payload without reaching it', async () => {
      const p = await peer();
      for (const payload of [SAMPLES[channel].minimal, SAMPLES[channel].full]) {
        calls.length = 0;
        expect(await p.invoke(channel, payload)).toHaveProperty('ok');
        expect(calls).toEqual([channel]);
      }
      const mutations = mutationsOf(channel).filter((m) => m.json);
      expect(mutations.length).toBeGreaterThan(8);
      const accepted: string[] = [];
      for (const m of mutations) {
        calls.length = 0;
        const result = await p.invoke(channel, m.payload);
        if (calls.length > 0 || !(expect.objectContaining(REFUSED) as { asymmetricMatch(v: unknown): boolean }).asymmetricMatch(result)) accepted.push(m.what);
        expect(((result as { error?: { message?: string } }).error?.message ?? '').length, m.what).toBeLessThan(300);
      }
      expect(accepted).toEqual([]);
    });
  });
});
