/**
 * Signals to a running `diskferry queue run` (a real child process under tsx, signalled through its
 * process group as a terminal or a service manager does). A signal repeated at once — the group's
 * copy and a parent's relay of it — is one request: the run still cleans up (transfer finalized,
 * journal kept, lock removed). A second request after the grace period quits at once, and a later
 * run continues from what the forced one left.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPEAT_GRACE_MS } from '../../main/cli/interrupt.js';
import { isFinishedPhase } from '../../main/simulator/engine/model.js';
import { exists, expectFileEqualsDisk, MiB, until, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness, type RunningCli } from './queue-cli-helpers.js';
import { addSimDisk, downloadPath } from './queue-helpers.js';

/** Resolves once the run says on stderr that it is cleaning up after a signal. */
function cleaningUp(run: RunningCli): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const seen = (chunk: Buffer) => {
      text += String(chunk);
      if (!text.includes('Interrupted: cleaning up')) return;
      run.child.stderr!.off('data', seen);
      resolve();
    };
    run.child.stderr!.on('data', seen);
  });
}

describe('diskferry queue run and its signals', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterEach(() => h.resetFaults());
  afterAll(() => close?.());

  /** Queues a download of a new 8 MiB disk and starts a run that is sending it slowly. */
  async function runningDownload(name: string): Promise<{ diskId: string; file: string; run: RunningCli }> {
    const out = join(h.dir, name);
    await mkdir(out);
    const diskId = await addSimDisk(h.sim, name, 8 * MiB, [{ start: 0, length: 8 * MiB }]);
    const add = await c.cli('queue', 'add', 'download', diskId, '--output', out, '--password-file', c.pw);
    expect(add.code, add.err).toBe(0);
    h.sim.faults.bandwidthBytesPerSecond = 256 * 1024;
    const run = c.startRun();
    await until(() => run.events.some((e) => e['event'] === 'state' && e['name'] === name && e['state'] === 'transferring'), 20_000, `the download started (${run.stderr.join('\n')})`);
    return { diskId, file: downloadPath(out, name), run };
  }

  /** Runs the queue to its end in this process, without faults, and checks the file is the disk. */
  async function finish(diskId: string, file: string): Promise<void> {
    h.resetFaults();
    const again = await c.cli('queue', 'run', '--json', '--password-file', c.pw);
    expect(again.code, again.err).toBe(0);
    await expectFileEqualsDisk(h.sim, diskId, file);
  }

  it('takes a signal repeated at once as the same request: the run still cleans up and removes its lock', { timeout: 60_000 }, async () => {
    const { diskId, file, run } = await runningDownload('repeat-dl');
    // Every engine call of the clean-up (finalize, its polls, logout) now takes 1.5 s.
    h.sim.faults.engineLatencyMs = 1500;
    const seen = cleaningUp(run);
    c.signal(run.child, 'SIGTERM');
    await seen;
    // The same request again at once, as tsx or npm relay the group's signal to their child.
    c.signal(run.child, 'SIGTERM');
    expect(await run.exited).toBe(130);
    expect(await exists(join(c.configDir, 'queue.lock'))).toBe(false);
    expect(await exists(`${file}.part`)).toBe(true);
    const open = [...h.sim.engine.state.transfers.values()].filter((t) => t.diskId === diskId && !isFinishedPhase(t.phase));
    expect(open, 'the clean-up finalized the transfer').toEqual([]);
    expect(h.sim.engine.state.disks.get(diskId)?.status).toBe('ok');
    await finish(diskId, file);
  });

  it('quits at once on a second request after the grace period, and the next run continues the job', { timeout: 60_000 }, async () => {
    const { diskId, file, run } = await runningDownload('force-dl');
    // A clean-up that waits for a slow engine: its first call alone takes 5 s.
    h.sim.faults.engineLatencyMs = 5000;
    const seen = cleaningUp(run);
    c.signal(run.child, 'SIGTERM');
    await seen;
    await sleep(REPEAT_GRACE_MS + 200);
    expect(run.child.exitCode, 'the clean-up is still waiting for the engine').toBeNull();
    const forcedAt = performance.now();
    c.signal(run.child, 'SIGTERM');
    expect(await run.exited).toBe(130);
    expect(performance.now() - forcedAt).toBeLessThan(2000);
    await finish(diskId, file);
  });
});
