/**
 * The preload bundle as it ships: built by scripts/build-preload.ts, then run in a fresh context with
 * a stand-in for the `electron` module (the only module a sandboxed preload may require). It must be
 * small, carry no schemas, and expose the whole API of the contract's table.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../shared/ipc.js';
import { buildPreload } from '../../scripts/build-preload.js';

describe('the preload bundle', () => {
  let dir: string;
  let code: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-preload-'));
    code = await readFile(await buildPreload(dir), 'utf8');
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is one small file without zod', () => {
    expect(code.length).toBeLessThan(16 * 1024);
    expect(code).not.toMatch(/zod|ZodType|safeParse/);
    expect(code.match(/require\(/g)).toEqual(['require(']);
  });

  it('exposes a method for every channel of the table, invoking by channel name', async () => {
    const exposed = new Map<string, unknown>();
    const invoked: Array<[string, unknown]> = [];
    const listening = new Set<string>();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
      ipcRenderer: {
        invoke: (channel: string, request: unknown) => {
          invoked.push([channel, request]);
          return Promise.resolve({ ok: true, value: null });
        },
        on: (channel: string) => listening.add(channel),
        removeListener: (channel: string) => listening.delete(channel),
      },
      webUtils: { getPathForFile: () => '' },
    };
    const module = { exports: {} };
    runInNewContext(code, { require: (name: string) => (name === 'electron' ? electron : undefined), module, exports: module.exports });
    const api = exposed.get('diskferry') as Record<string, Record<string, (arg?: unknown) => unknown>>;
    expect([...exposed.keys()]).toEqual(['diskferry']);
    for (const channel of INVOKE_CHANNELS) {
      const [group, name] = channel.split(':') as [string, string];
      const request = { sample: channel };
      await api[group]![name]!(request);
      expect(invoked.at(-1)).toEqual([channel, request]);
    }
    for (const event of EVENT_CHANNELS) {
      const [group, name] = event.split(':') as [string, string];
      const off = api[group]![`on${name[0]!.toUpperCase()}${name.slice(1)}`]!(() => {}) as () => void;
      expect(listening.has(event)).toBe(true);
      off();
      expect(listening.has(event)).toBe(false);
    }
    expect(api['files']!['pathForFile']!({})).toBeNull();
  });
});
