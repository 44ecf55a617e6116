/**
 * `DISKFERRY_RANGED_GETS=undici` is read by the hosts, never by the engine: the command line reads
 * its environment for each run, the app core takes the choice as an option (main/index.ts and the
 * web host read their environment). Which dispatcher carried a download's ranged GETs is seen from
 * outside: undici reports every request it sends on its `undici:request:create` channel.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rangedGetDispatcherFrom } from '../../main/engine/imageio/connection.js';
import { startCore, until } from '../app/helpers.js';
import { runCli, startCliHarness } from './capture.js';
import { expectFileEqualsSeed, seededDiskId } from './helpers.js';

/** Ranged GETs undici sent since the last reset. */
const undiciRangedGets: string[] = [];
const onRequest = (message: unknown) => {
  const { request } = message as { request: { method: string; headers: string | string[] } };
  const headers = Array.isArray(request.headers) ? request.headers.join('\n') : request.headers;
  if (request.method === 'GET' && /range/i.test(headers)) undiciRangedGets.push(headers);
};
beforeAll(() => subscribe('undici:request:create', onRequest));
afterAll(() => void unsubscribe('undici:request:create', onRequest));
afterEach(() => {
  undiciRangedGets.length = 0;
});

describe('the ranged-GET switch of the hosts', () => {
  it('reads DISKFERRY_RANGED_GETS: undici only when it says so', () => {
    expect(rangedGetDispatcherFrom({ DISKFERRY_RANGED_GETS: 'undici' })).toBe('undici');
    expect(rangedGetDispatcherFrom({ DISKFERRY_RANGED_GETS: 'socket' })).toBe('socket');
    expect(rangedGetDispatcherFrom({ DISKFERRY_RANGED_GETS: 'UNDICI ' })).toBe('socket');
    expect(rangedGetDispatcherFrom({})).toBe('socket');
  });

  it('the command line moves ranged GETs to undici when its environment says so, and keeps its own dispatcher otherwise', { timeout: 60_000 }, async () => {
    const { h, pw, close } = await startCliHarness();
    try {
      const login = await runCli('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--name', 'sim');
      expect(login.code, login.err).toBe(0);
      for (const [name, env] of [['undici', 'undici'], ['socket', undefined]] as const) {
        const out = join(h.dir, name);
        await mkdir(out);
        if (env) process.env['DISKFERRY_RANGED_GETS'] = env;
        else delete process.env['DISKFERRY_RANGED_GETS'];
        undiciRangedGets.length = 0;
        const down = await runCli('download', 'web-01-disk1', '--output', out, '--password-file', pw, '--quiet');
        expect(down.code, down.err).toBe(0);
        await expectFileEqualsSeed('web-01-disk1', join(out, 'web-01-disk1.raw'));
        if (env) expect(undiciRangedGets.length).toBeGreaterThan(0);
        else expect(undiciRangedGets).toEqual([]);
      }
    } finally {
      await close();
    }
  });

  it('the app core moves ranged GETs to undici when its host says so', { timeout: 60_000 }, async () => {
    const h = await startCore({ core: { rangedGets: 'undici' } });
    try {
      await h.call('engines:demo', undefined);
      const folder = join(h.dir, 'downloads');
      await mkdir(folder);
      const { queued: [t] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('web-01-disk1')], folder, format: 'raw', existing: 'rename' });
      const state = () => h.snapshot('transfers:changed').transfers.find((x) => x.id === t!.id)!;
      await until(() => ['completed', 'failed', 'cancelled'].includes(state().state), 30_000, 'the download to end');
      expect(state().state, state().error?.message).toBe('completed');
      await expectFileEqualsSeed('web-01-disk1', t!.localPath);
      expect(undiciRangedGets.length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});
