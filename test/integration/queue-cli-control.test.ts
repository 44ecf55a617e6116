/**
 * `diskferry queue pause|resume|cancel ID…`: with no run the queue file is changed under the run
 * lock; a running `queue run` takes the request through its inbox and answers it, for jobs waiting
 * for their window and for one that is moving data.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument } from '../../main/engine/queue/store.js';
import { exists, KiB, MiB, until, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';
import { addSimDisk } from './queue-helpers.js';

describe('diskferry queue pause, resume and cancel', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const stateOf = async (label: string) => {
    const doc = parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')) as unknown)!;
    const job = doc.jobs.find((j) => j.label === label)!;
    return { id: job.id, state: job.state };
  };
  /** A schedule window that is closed now (local time): it opens in two hours. */
  const closedWindow = () => {
    const hour = new Date().getHours();
    return `${String((hour + 2) % 24).padStart(2, '0')}:00-${String((hour + 3) % 24).padStart(2, '0')}:00`;
  };

  it('without a run, changes the queue file: pause, resume, cancel; refuses what a job cannot take', async () => {
    const out = join(h.dir, 'no-run');
    await mkdir(out);
    const disk = await addSimDisk(h.sim, 'ctl-a', 2 * MiB, [{ start: 0, length: 64 * KiB }]);
    expect((await c.cli('queue', 'add', 'download', disk, '--output', out, '--password-file', c.pw)).code).toBe(0);
    const { id } = await stateOf('ctl-a');

    const pause = await c.cli('queue', 'pause', id.slice(0, 8));
    expect(pause.code, pause.err).toBe(0);
    expect(pause.out).toBe(`Paused ${id.slice(0, 8)} ctl-a (now paused).\n`);
    expect((await stateOf('ctl-a')).state).toBe('paused');

    const resume = await c.cli('queue', 'resume', id.slice(0, 8));
    expect(resume.code).toBe(0);
    expect(resume.out).toBe(`Resumed ${id.slice(0, 8)} ctl-a (now queued).\nNo queue run is active: start one with diskferry queue run.\n`);
    expect((await stateOf('ctl-a')).state).toBe('queued');

    const cancel = await c.cli('queue', 'cancel', id.slice(0, 8), '--json');
    expect(cancel.code, cancel.err).toBe(0);
    expect(JSON.parse(cancel.out.trim())).toMatchObject({ event: 'result', job: id, name: 'ctl-a', action: 'cancel', state: 'cancelled' });
    expect((await stateOf('ctl-a')).state).toBe('cancelled');

    const again = await c.cli('queue', 'pause', id.slice(0, 8));
    expect(again.code).toBe(1);
    expect(again.err).toContain('ctl-a is cancelled and cannot be paused now.');
    expect(again.err).not.toContain('Unexpected error');
    const json = await c.cli('queue', 'pause', id.slice(0, 8), '--json');
    expect(JSON.parse(json.out.trim())).toMatchObject({ event: 'error', code: 'usage', message: expect.stringContaining('cannot be paused now') });

    const unknown = await c.cli('queue', 'cancel', id.slice(0, 8), 'ffffffff');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('No job ffffffff in the queue; nothing was changed.');
    expect(await exists(join(c.configDir, 'queue.lock'))).toBe(false);
    const retry = await c.cli('queue', 'retry', id.slice(0, 8));
    expect(retry.code, retry.err).toBe(0);
    expect(retry.out).toBe(`${id.slice(0, 8)} ctl-a is queued again; diskferry queue run runs it.\n`);
    expect((await stateOf('ctl-a')).state).toBe('queued');
    expect((await c.cli('queue', 'cancel', id.slice(0, 8))).code).toBe(0);
    expect((await c.cli('queue', 'remove', '--finished')).code).toBe(0);
  });

  it('with a run, the run takes the request: a waiting job is paused, resumed and cancelled', { timeout: 60_000 }, async () => {
    const out = join(h.dir, 'with-run');
    await mkdir(out);
    for (const name of ['ctl-b', 'ctl-b2']) {
      const disk = await addSimDisk(h.sim, name, 2 * MiB, [{ start: 0, length: 64 * KiB }]);
      expect((await c.cli('queue', 'add', 'download', disk, '--output', out, '--password-file', c.pw)).code).toBe(0);
    }
    const run = c.startRun('--window', closedWindow());
    const seen = (name: string, state: string) => run.events.some((e) => e['event'] === 'state' && e['name'] === name && e['state'] === state);
    await until(() => seen('ctl-b', 'waiting') && seen('ctl-b2', 'waiting'), 20_000, `the run started (${run.stderr.join('\n')})`);
    const { id } = await stateOf('ctl-b');

    const pause = await c.cli('queue', 'pause', id.slice(0, 8));
    expect(pause.code, pause.err).toBe(0);
    expect(pause.out).toBe(`Paused ${id.slice(0, 8)} ctl-b (now paused).\n`);
    expect(seen('ctl-b', 'paused')).toBe(true);

    const resume = await c.cli('queue', 'resume', id, '--json');
    expect(resume.code, resume.err).toBe(0);
    expect(JSON.parse(resume.out.trim())).toMatchObject({ event: 'result', job: id, action: 'resume', state: 'waiting', running_queue: expect.any(Number) as number });

    const cancel = await c.cli('queue', 'cancel', id, (await stateOf('ctl-b2')).id);
    expect(cancel.code, cancel.err).toBe(0);
    expect(cancel.out).toMatch(/^Cancelled \S+ ctl-b \(now cancelled\)\.\nCancelled \S+ ctl-b2 \(now cancelled\)\.\n$/);
    // Nothing is left to run: the run ends, and says jobs did not complete.
    expect(await run.exited).toBe(1);
    expect((await stateOf('ctl-b')).state).toBe('cancelled');
  });

  it('with a run, pauses a job that is moving data and cancels it; the engine transfer is ended', { timeout: 60_000 }, async () => {
    const out = join(h.dir, 'moving');
    await mkdir(out);
    h.sim.faults.bandwidthBytesPerSecond = 512 * KiB;
    try {
      const disk = await addSimDisk(h.sim, 'ctl-c', 16 * MiB, [{ start: 0, length: 12 * MiB }]);
      expect((await c.cli('queue', 'add', 'download', disk, '--output', out, '--password-file', c.pw)).code).toBe(0);
      const run = c.startRun();
      const seen = (state: string) => run.events.some((e) => e['event'] === 'state' && e['name'] === 'ctl-c' && e['state'] === state);
      await until(() => seen('transferring'), 20_000, `the transfer started (${run.stderr.join('\n')})`);
      const { id } = await stateOf('ctl-c');

      const pause = await c.cli('queue', 'pause', id.slice(0, 8));
      expect(pause.code, pause.err).toBe(0);
      await until(() => seen('paused'), 10_000, 'the run paused the job');
      const progress = () => run.events.filter((e) => e['event'] === 'progress' && e['name'] === 'ctl-c').length;
      const before = progress();
      await new Promise((r) => setTimeout(r, 1500));
      const moved = run.events.filter((e) => e['event'] === 'progress' && e['name'] === 'ctl-c').slice(before);
      expect(new Set(moved.map((e) => e['transferred'])).size).toBeLessThanOrEqual(1);

      const cancel = await c.cli('queue', 'cancel', id.slice(0, 8));
      expect(cancel.code, cancel.err).toBe(0);
      expect(cancel.out).toMatch(/Cancel/);
      expect(await run.exited).toBe(1);
      expect((await stateOf('ctl-c')).state).toBe('cancelled');
      expect([...h.sim.engine.state.transfers.values()].filter((t) => t.diskId === disk && !t.phase.startsWith('finished'))).toEqual([]);
    } finally {
      h.sim.faults.bandwidthBytesPerSecond = null;
    }
  });
});
