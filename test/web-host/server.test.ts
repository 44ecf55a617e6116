import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { IPC, type TransfersSnapshot } from '../../shared/ipc.js';
import { applyTransfersChange } from '../../renderer/state/transfers-change.js';
import { seededDiskId } from '../integration/helpers.js';
import { createWebSocketApi } from '../../preload/web/client.js';
import { startDemoWebHost, type DemoWebHost } from '../../main/web-host/host.js';
import { CLIENT_SCRIPT_PATH } from '../../shared/web-host-protocol.js';
import { rewriteIndexHtml } from '../../main/web-host/server.js';

/** A raw GET with full control of the path and headers. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the socket with an Origin; resolves with the HTTP status of a refusal, or 101. */
function handshake(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => {});
  });
}

describe('web host', () => {
  let w: DemoWebHost;
  let rendererDir: string;
  beforeAll(async () => {
    rendererDir = await mkdtemp(join(tmpdir(), 'diskferry-renderer-'));
    await mkdir(join(rendererDir, 'assets'));
    await writeFile(
      join(rendererDir, 'index.html'),
      `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src 'none'"><script type="module" src="/assets/app.js"></script></head><body></body></html>`,
    );
    await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(window.diskferry)');
    w = await startDemoWebHost({ rendererDir, selectDemo: true, eventIntervalMs: 100 });
  });
  afterAll(async () => {
    await w.close();
    await rm(rendererDir, { recursive: true, force: true });
  });

  it('serves index.html with the client injected first and connect-src set to its socket', async () => {
    const res = await get(w.host.port, '/');
    expect(res.status).toBe(200);
    expect(res.body.indexOf(CLIENT_SCRIPT_PATH)).toBeLessThan(res.body.indexOf('/assets/app.js'));
    expect(res.body).toContain(`connect-src ws://127.0.0.1:${w.host.port}`);
    expect(res.body).not.toContain("connect-src 'none'");
    expect((await get(w.host.port, '/assets/app.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('serves the bundled browser client without Node modules or schemas', async () => {
    const res = await get(w.host.port, CLIENT_SCRIPT_PATH);
    expect(res.status).toBe(200);
    expect(res.body).toContain('transfers:pause');
    expect(res.body).not.toMatch(/from ["']node:|require\(/);
    expect(res.body).not.toMatch(/zod|safeParse/);
  });

  it('serves nothing outside the renderer folder, and nothing to a foreign Host', async () => {
    expect((await get(w.host.port, '/..%2f..%2f..%2fetc%2fpasswd')).status).toBe(404);
    expect((await get(w.host.port, '/', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses sockets without the token, with a wrong token, or from another origin', async () => {
    const ipc = w.host.ipcUrl;
    expect(await handshake(ipc, w.host.origin)).toBe(403);
    expect(await handshake(`${ipc}?token=wrong`, w.host.origin)).toBe(403);
    expect(await handshake(`${ipc}?token=${w.host.token}`, 'http://evil.example')).toBe(403);
    expect(await handshake(`${ipc}?token=${w.host.token}`, undefined)).toBe(403);
    expect(await handshake(`${ipc}?token=${w.host.token}`, w.host.origin)).toBe(101);
  });

  it('carries the contract: invokes answer Results and events arrive coalesced', async () => {
    const origin = w.host.origin;
    class OriginSocket extends WebSocket {
      constructor(url: string) {
        super(url, { origin });
      }
    }
    const api = createWebSocketApi({ url: w.host.ipcUrl, token: w.host.token, WebSocketImpl: OriginSocket as unknown as typeof globalThis.WebSocket });
    const info = await api.app.info();
    expect(info).toEqual({ ok: true, value: expect.objectContaining({ host: 'web', nativeDialogs: false, demoAvailable: true }) });
    const engines = await api.engines.list();
    expect(engines.ok && engines.value.profiles[0]?.status).toBe('connected');
    const bad = await api.transfers.pause({ id: 'no-such-transfer' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'not-found' } });

    // The window's way: apply each event (a snapshot, then deltas) to what it holds; the list
    // answer counts only when it is newer (the whole snapshot it triggers may arrive first).
    const snapshots: TransfersSnapshot[] = [];
    let held: TransfersSnapshot = { seq: -1, transfers: [], summary: { running: 0, pending: 0, completed: 0, failed: 0, rate: 0 } };
    const unapplied: string[] = [];
    const unsubscribe = api.transfers.onChanged((change) => {
      expect(IPC.events['transfers:changed'].safeParse(change).success).toBe(true);
      const next = applyTransfersChange(held, change);
      if (next === 'resync') unapplied.push(`${change.kind} ${change.seq}`);
      else snapshots.push((held = next));
    });
    const listed = await api.transfers.list();
    if (listed.ok && listed.value.seq > held.seq) held = listed.value;
    const added = await api.transfers.addDownloads({ diskIds: [seededDiskId('db01-disk0')], folder: w.dataDir, format: 'raw', existing: 'overwrite' });
    expect(added.ok).toBe(true);
    const id = added.ok ? added.value.queued[0]!.id : '';
    const deadline = Date.now() + 20_000;
    while (!snapshots.some((s) => s.transfers.find((t) => t.id === id)?.state === 'completed')) {
      if (Date.now() > deadline) throw new Error('no completed snapshot');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(unapplied).toEqual([]);
    const seqs = snapshots.map((s) => s.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    unsubscribe();
    const count = snapshots.length;
    await api.settings.set({ maxConcurrent: 3 });
    await new Promise((r) => setTimeout(r, 200));
    expect(snapshots.length).toBe(count);
    const reveal = await api.transfers.reveal({ id });
    expect(reveal).toMatchObject({ ok: true, value: { shown: false } });
  });

  it('rewrites a page without a CSP meta by injecting only the client', () => {
    const html = rewriteIndexHtml('<html><head><title>x</title></head></html>', 'ws://127.0.0.1:1');
    expect(html).toContain(CLIENT_SCRIPT_PATH);
  });
});
