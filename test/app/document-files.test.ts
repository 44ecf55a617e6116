/**
 * The window's documents and the command line's files share a folder (Electron's userData is
 * `<appData>/diskferry`, the command line's config folder): no name of one may be a name of the other, and an engine list an
 * earlier version wrote into the command line's `engines.json` is moved out, leaving the command
 * line's profiles whole. Through the real electron-store, with the one allowed mock: the `electron`
 * module, whose runtime cannot start here (it only tells the store its folder).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandLineQueueJobs, DOCUMENT_FILES, moveWindowEngines, windowQueueJobs } from '../../main/app/document-files.js';
import { ledgerDir, pendingSnapshotsDir, ProfileStore, sightingsFile, uploadJournalDir, type EngineProfile } from '../../main/cli/config.js';
import { postToInbox, queuePaths, takeInbox } from '../../main/cli/queue/ports.js';
import { SESSIONS_FILE } from '../../main/cli/sessions.js';
import { silentLog } from '../../main/engine/log.js';
import type { NewJob } from '../../main/engine/queue/job.js';
import { JsonFileQueueStore, MemoryQueueStore, type QueueDocument } from '../../main/engine/queue/store.js';
import { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { realTimers } from '../../main/engine/timers.js';
import { ScriptedRunner } from '../engine/queue/scripted-runner.js';

const folder = vi.hoisted(() => ({ dir: '' }));

vi.mock('electron', () => {
  const app = { getPath: (name: string) => (name === 'userData' ? folder.dir : '/nowhere'), getVersion: () => '0.1.0' };
  const ipcMain = { on: () => undefined };
  return { default: { app, ipcMain, shell: {} }, app, ipcMain, shell: {} };
});

const { electronDocumentStore } = await import('../../main/platform/stores.js');

const profile: EngineProfile = { name: 'prod', engineUrl: 'https://engine.example/ovirt-engine', username: 'admin@internal', caPem: null, caFingerprint: null, systemTrust: true };
const windowEngines = [{ id: 'e1', name: 'Lab engine', url: 'https://lab.example/ovirt-engine' }];

describe("the window's documents beside the command line's files", () => {
  beforeEach(async () => {
    folder.dir = await mkdtemp(join(tmpdir(), 'diskferry-userdata-'));
  });
  afterEach(async () => {
    await rm(folder.dir, { recursive: true, force: true });
  });

  const json = async (name: string): Promise<unknown> => JSON.parse(await readFile(join(folder.dir, name), 'utf8'));
  const exists = (name: string) => stat(join(folder.dir, name)).then(() => true, () => false);

  it('share no name (compared as macOS and Windows do, whatever the case)', () => {
    const dir = folder.dir;
    const q = queuePaths(dir);
    const cli = [new ProfileStore(dir).path, q.file, q.lock, q.inbox, q.reports, ledgerDir(dir), sightingsFile('engine.example', dir), pendingSnapshotsDir(dir), uploadJournalDir({ DISKFERRY_CONFIG_DIR: dir }), join(dir, SESSIONS_FILE)];
    const cliNames = new Set(cli.map((p) => relative(dir, p).split(sep)[0]!.toLowerCase()));
    const windowNames = Object.values(DOCUMENT_FILES).map((n) => `${n}.json`.toLowerCase());
    expect(windowNames.filter((n) => cliNames.has(n))).toEqual([]);
  });

  it('keep both engine lists when the window and the command line save theirs', async () => {
    const store = electronDocumentStore(silentLog);
    await store.write('engines', windowEngines);
    const cli = new ProfileStore(folder.dir);
    await cli.save(profile);
    expect(await cli.list()).toEqual({ profiles: [profile], defaultProfile: 'prod' });
    expect(await store.read('engines')).toEqual(windowEngines);
    // A window started later reads its list back.
    expect(await electronDocumentStore(silentLog).read('engines')).toEqual(windowEngines);
  });

  it("moves a list an earlier window wrote into the command line's engines.json, and leaves the profiles whole", async () => {
    const cli = new ProfileStore(folder.dir);
    await cli.save(profile);
    // What electron-store made of the file: the command line's keys, and the window's beside them.
    const mixed = { ...((await json('engines.json')) as object), document: windowEngines, __internal__: { migrations: { version: '0.1.0' } } };
    await writeFile(join(folder.dir, 'engines.json'), JSON.stringify(mixed));
    const store = electronDocumentStore(silentLog);
    expect(await store.read('engines')).toEqual(windowEngines);
    expect(await json('engines.json')).toEqual({ version: 1, defaultProfile: 'prod', profiles: [profile] });
    expect(await cli.list()).toEqual({ profiles: [profile], defaultProfile: 'prod' });
    await store.write('engines', []);
    expect(await json('engines.json')).toEqual({ version: 1, defaultProfile: 'prod', profiles: [profile] });
    expect(await electronDocumentStore(silentLog).read('engines')).toEqual([]);
  });

  it('removes engines.json when it held only the window list; leaves alone what is not the window list', async () => {
    await writeFile(join(folder.dir, 'engines.json'), JSON.stringify({ document: windowEngines }));
    expect(await moveWindowEngines(folder.dir)).toBe(true);
    expect(await exists('engines.json')).toBe(false);
    expect(await json('app-engines.json')).toEqual({ document: windowEngines });
    // Moved once: a later engines.json (the command line's, even with a stray key) is not touched.
    await writeFile(join(folder.dir, 'engines.json'), JSON.stringify({ document: [] }));
    expect(await moveWindowEngines(folder.dir)).toBe(false);
    expect(await json('engines.json')).toEqual({ document: [] });
    await rm(join(folder.dir, 'app-engines.json'));

    for (const text of ['{"version":1,"defaultProfile":null,"profiles":[]}', 'not json {', '[1,2]', 'null']) {
      await writeFile(join(folder.dir, 'engines.json'), text);
      expect(await moveWindowEngines(folder.dir)).toBe(false);
      expect(await readFile(join(folder.dir, 'engines.json'), 'utf8')).toBe(text);
      expect(await exists('app-engines.json')).toBe(false);
    }
  });

  it("let each program read the other's queue: the window's through its store, the command line's file", async () => {
    const jobs: NewJob[] = [1, 2].map((n) => ({ kind: 'upload', engine: 'e1', upload: { path: `/img/${n}.raw`, storageDomain: 'sd' } }) as NewJob);
    const open = (store: MemoryQueueStore | JsonFileQueueStore) => TransferQueue.open({ store, runner: new ScriptedRunner(), now: Date.now, timers: realTimers, log: silentLog });
    // The window's queue document (app/transfers/engine-queue-adapter.ts) saved by electron-store.
    const memory = new MemoryQueueStore();
    const windowQueue = await open(memory);
    await windowQueue.add([jobs[0]!]);
    const doc = (await memory.read()) as QueueDocument;
    await electronDocumentStore(silentLog).write('transfers', { version: 2, queue: doc, meta: {} });
    expect((await windowQueueJobs(folder.dir)).map((j) => j.id)).toEqual(windowQueue.list().map((j) => j.id));
    // The command line's queue file.
    const paths = queuePaths(folder.dir);
    const cliQueue = await open(new JsonFileQueueStore(paths.file));
    await postToInbox(paths, [jobs[1]!]);
    expect(await takeInbox(paths, silentLog, cliQueue)).toBe(1);
    expect((await commandLineQueueJobs(paths.file)).map((j) => j.id)).toEqual(cliQueue.list().map((j) => j.id));
    // Neither is there, or either is not JSON: no jobs.
    await rm(join(folder.dir, 'transfers.json'));
    await writeFile(paths.file, '{ cut short');
    expect(await windowQueueJobs(folder.dir)).toEqual([]);
    expect(await commandLineQueueJobs(paths.file)).toEqual([]);
  });
});
