/**
 * Main's IPC handlers refuse what is not a valid request from our window, for every invoke channel of
 * the contract: payloads outside the channel's schema or not plain data (ipc-rejection-cases.ts), and
 * calls from any sender but our window's top frame on the app origin. A refusal is the Result error
 * envelope (`bad-input`) and never reaches the app core. The handlers are main/ipc's real ones,
 * registered on a stand-in ipcMain; payloads pass through structuredClone as Electron's IPC does; the
 * core behind them is a real AppCore on the simulator, with each handler counted.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { INVOKE_CHANNELS, IPC, type InvokeChannel } from '../../shared/ipc.js';
import type { InvokeHandlers } from '../../main/app/dispatch.js';
import { createLog } from '../../main/engine/log.js';
import { startCore, type CoreHarness } from './helpers.js';
import { CHANNELS, mutationsOf, SAMPLES } from './ipc-rejection-cases.js';

vi.mock('electron', () => ({ protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} } }));

const { registerHandlers } = await import('../../main/ipc/handle.js');
const { APP_ORIGIN } = await import('../../main/platform/app-protocol.js');

type Registered = (event: unknown, payload: unknown) => Promise<unknown>;

const OWN = { id: 1 };
const APP_PAGE = `${APP_ORIGIN}/index.html`;
const top = (url: string) => ({ url, parent: null });
const FROM_WINDOW = { sender: OWN, senderFrame: top(`${APP_PAGE}#/transfers`) };

/** Senders that must be refused, each with why. */
const FOREIGN_SENDERS: ReadonlyArray<{ what: string; event: unknown }> = [
  { what: 'another web contents on the app page', event: { sender: { id: 2 }, senderFrame: top(APP_PAGE) } },
  { what: 'no sender', event: { sender: null, senderFrame: top(APP_PAGE) } },
  { what: 'a sub-frame of our window on the app origin', event: { sender: OWN, senderFrame: { url: APP_PAGE, parent: top(APP_PAGE) } } },
  { what: 'a sub-frame of our window elsewhere', event: { sender: OWN, senderFrame: { url: 'https://evil.example/', parent: top(APP_PAGE) } } },
  { what: 'a frame that is gone', event: { sender: OWN, senderFrame: null } },
  ...[
    'https://evil.example/index.html',
    'http://127.0.0.1:5173/index.html',
    'file:///etc/passwd',
    'file:///opt/DiskFerry/resources/app.asar/dist/renderer/index.html',
    'app://diskferry.evil/index.html',
    'app://evil/index.html',
    'app://diskferry:8080/index.html',
    'app://user@diskferry/index.html',
    'about:blank',
    'data:text/html,<script>1</script>',
    `blob:${APP_ORIGIN}/0f0e0d0c-0000-4000-8000-000000000000`,
    'devtools://devtools/bundled/inspector.html',
    'not a url',
    '',
  ].map((url) => ({ what: `our window's top frame at ${JSON.stringify(url)}`, event: { sender: OWN, senderFrame: top(url) } })),
];

const REFUSED = { ok: false, error: { code: 'bad-input', message: expect.any(String), retryable: false } };

describe('main IPC handlers', () => {
  let h: CoreHarness;
  const registered = new Map<string, Registered>();
  const calls: InvokeChannel[] = [];
  const logLines: string[] = [];
  let windowOpen = true;

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
    registerHandlers({
      ipcMain: { handle: (channel: string, fn: Registered) => registered.set(channel, fn), removeHandler: (c: string) => registered.delete(c) } as never,
      handlers: counted,
      allowedOrigins: [APP_ORIGIN],
      windowContents: () => (windowOpen ? OWN : null),
      log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** One invoke as Electron delivers it: the payload structured-cloned; the core calls it made. */
  const invoke = async (channel: InvokeChannel, event: unknown, payload: unknown) => {
    calls.length = 0;
    const result = await registered.get(channel)!(event, structuredClone(payload));
    return { result, reached: [...calls] };
  };

  it('has samples for every channel of the contract, which its schemas accept, and a handler for each', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect([...registered.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    for (const channel of CHANNELS) {
      for (const sample of [SAMPLES[channel].minimal, SAMPLES[channel].full]) expect(IPC.invoke[channel].request.safeParse(sample).success, channel).toBe(true);
    }
  });

  describe.each(CHANNELS)('%s', (channel) => {
    it('passes valid requests from our window to the core', async () => {
      for (const payload of [SAMPLES[channel].minimal, SAMPLES[channel].full]) {
        const { result, reached } = await invoke(channel, FROM_WINDOW, payload);
        expect(reached).toEqual([channel]);
        expect(result).toHaveProperty('ok');
      }
    });

    it('refuses every invalid payload with the error envelope, without reaching the core', async () => {
      const mutations = mutationsOf(channel);
      expect(mutations.length).toBeGreaterThan(8);
      const accepted: string[] = [];
      for (const m of mutations) {
        const { result, reached } = await invoke(channel, FROM_WINDOW, m.payload);
        if (reached.length > 0 || !(expect.objectContaining(REFUSED) as { asymmetricMatch(v: unknown): boolean }).asymmetricMatch(result)) accepted.push(m.what);
        else expect(Object.keys(result as object).sort()).toEqual(['error', 'ok']);
        const message = (result as { error?: { message?: string } }).error?.message ?? '';
        expect(message.length, m.what).toBeLessThan(300);
      }
      expect(accepted).toEqual([]);
    });

    it('refuses every sender but our window and its top frame on the app origin', async () => {
      const accepted: string[] = [];
      for (const { what, event } of FOREIGN_SENDERS) {
        const { result, reached } = await invoke(channel, event, SAMPLES[channel].full);
        if (reached.length > 0) accepted.push(what);
        expect(result, what).toEqual(REFUSED);
        expect((result as { error: { message: string } }).error.message).toMatch(/did not come from the DiskFerry window/);
      }
      expect(accepted).toEqual([]);
    });
  });

  it('refuses every channel while no window is open', async () => {
    windowOpen = false;
    try {
      for (const channel of CHANNELS) {
        const { result, reached } = await invoke(channel, FROM_WINDOW, SAMPLES[channel].full);
        expect(reached, channel).toEqual([]);
        expect(result, channel).toEqual(REFUSED);
      }
    } finally {
      windowOpen = true;
    }
  });

  it('checks the sender before the payload, and logs refusals without the payload', async () => {
    const { result } = await invoke('engines:add', { sender: { id: 2 }, senderFrame: top(APP_PAGE) }, { password: 'sample-password-1', junk: true });
    expect(result).toEqual(REFUSED);
    expect((result as { error: { message: string } }).error.message).toMatch(/did not come from the DiskFerry window/);
    const refusals = logLines.filter((l) => /refused/i.test(l));
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of refusals) {
      expect(line).not.toContain('sample-password-1');
      expect(line.length).toBeLessThan(1000);
    }
  });
});

describe('the error text of a refused payload', () => {
  it('names the field but never echoes unknown keys or long names from the request', async () => {
    const { dispatch } = await import('../../main/app/dispatch.js');
    const log = createLog({ level: 'error', write: () => {} });
    const handlers = {} as InvokeHandlers;
    const stray = await dispatch(handlers, 'transfers:pause', { id: 'a', 'secret-looking-key-4f1d': 1 }, log);
    expect(stray).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(!stray.ok && stray.error.message).toBe('Invalid the request: unexpected fields.');
    const long = 'k'.repeat(120);
    const deep = await dispatch(handlers, 'settings:set', { lastStorageDomain: { [long]: 5 } }, log);
    expect(!deep.ok && deep.error.message).toMatch(/^Invalid lastStorageDomain\.…: /);
    expect(!deep.ok && deep.error.message).not.toContain(long);
  });
});
