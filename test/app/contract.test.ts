import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ok } from '../../shared/errors.js';
import { EVENT_CHANNELS, INVOKE_CHANNELS, IPC, type IpcTransport } from '../../shared/ipc.js';
import { DEFAULT_SETTINGS, SettingsSchema } from '../../shared/schemas/index.js';
import { createDiskFerryApi } from '../../preload/api.js';

describe('the IPC contract', () => {
  it('names every channel group:name, the API method it becomes', () => {
    for (const channel of [...INVOKE_CHANNELS, ...EVENT_CHANNELS]) expect(channel).toMatch(/^[a-z]+:[a-z][A-Za-z]*$/);
    expect(INVOKE_CHANNELS).toEqual(Object.keys(IPC.invoke));
    expect(EVENT_CHANNELS).toEqual(Object.keys(IPC.events));
  });

  it('reaches every invoke channel and event from the named API, passing the request on as it is', async () => {
    const invoked = new Map<string, unknown>();
    const subscribed = new Set<string>();
    const transport: IpcTransport = {
      invoke: (channel, request) => {
        invoked.set(channel, request);
        return Promise.resolve(ok(null as never));
      },
      on: (event) => {
        subscribed.add(event);
        return () => {};
      },
    };
    const api = createDiskFerryApi(transport);
    const requests = new Map<string, unknown>();
    for (const [group, methods] of Object.entries(api) as Array<[string, Record<string, unknown>]>) {
      for (const [name, fn] of Object.entries(methods)) {
        if (typeof fn !== 'function' || name === 'pathForFile') continue;
        const request = { call: `${group}.${name}` };
        requests.set(`${group}:${name}`, request);
        const r: unknown = name === 'onChanged' ? (fn as (cb: () => void) => unknown)(() => {}) : await (fn as (request: unknown) => Promise<unknown>)(request);
        expect(r).toBeDefined();
      }
    }
    expect([...invoked.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    for (const [channel, request] of invoked) expect(request).toBe(requests.get(channel));
    expect([...subscribed].sort()).toEqual([...EVENT_CHANNELS].sort());
    expect(await api.engines.list()).toEqual(ok(null));
    expect(invoked.get('engines:list')).toBeUndefined();
  });

  it('accepts no payload as undefined, null or {} and refuses unknown keys', () => {
    const list = IPC.invoke['engines:list'].request;
    expect(list.safeParse(undefined).success).toBe(true);
    expect(list.safeParse(null).success).toBe(true);
    expect(list.safeParse({}).success).toBe(true);
    expect(list.safeParse({ a: 1 }).success).toBe(false);
    expect(IPC.invoke['transfers:pause'].request.safeParse({ id: 't', extra: true }).success).toBe(false);
    expect(IPC.invoke['catalog:disks'].request.safeParse(undefined).success).toBe(true);
    expect(IPC.invoke['settings:set'].request.safeParse({ maxConcurrent: 9 }).success).toBe(false);
    expect(IPC.invoke['settings:set'].request.safeParse({ sneaky: 1 }).success).toBe(false);
    expect(IPC.invoke['settings:set'].request.safeParse({ scheduleWindow: { start: '22:00', end: '06:00' } }).success).toBe(true);
    expect(IPC.invoke['engines:add'].request.safeParse({ engineUrl: 'e', username: 'a@b', password: 'p', savePassword: false, trust: { kind: 'pem' } }).success).toBe(false);
  });

  it('has valid default settings', () => {
    expect(SettingsSchema.safeParse(DEFAULT_SETTINGS).success).toBe(true);
  });
});

describe('packaging', () => {
  it('has a valid electron-builder.yml with the fuses on and the icons it names', async () => {
    const require = createRequire(import.meta.url);
    const yaml = require('js-yaml') as { load(text: string): Record<string, unknown> };
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = yaml.load(await readFile('electron-builder.yml', 'utf8'));
    await validateConfiguration(config, new DebugLogger(false));
    expect(config['electronFuses']).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    expect((config['linux'] as { target: string[] }).target).toEqual(['AppImage', 'deb', 'rpm']);
    for (const icon of ['build/icon.png', 'build/icons/512x512.png', 'build/icons/16x16.png']) expect((await stat(icon)).size).toBeGreaterThan(100);
  });
});
