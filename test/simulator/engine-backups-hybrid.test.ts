/**
 * Backups per engine generation: hybrid (snapshot-based) by default on 4.5, `?legacy=true` opting
 * out, the 4.3 tech preview without checkpoints, and no backup API on 4.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, waitFor, type Harness } from './engine-harness.js';
import { backupPhase as backupPhaseOf } from '../../main/simulator/engine/backup-json.js';
import { backupPhase, backupTransfer, backupVm, endTransfer, imageio, MiB, startBackup } from './backup-harness.js';

type Json = Record<string, unknown>;

describe('4.5: hybrid backups', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5', realImageio: true });
  });
  afterAll(async () => h.close());

  test('starting with a snapshot and no host → ready; finalize keeps ready one tick, then finalizing → succeeded; the snapshot goes', async () => {
    const { vmId, cow, raw } = await backupVm(h, 'hybrid-full');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }, { id: raw }] } });
    expect(b['phase']).toBe('starting');
    expect(b['host']).toBeUndefined();
    const snapshotId = (b['snapshot'] as Json)['id'];
    expect(b['snapshot']).toEqual({ id: expect.any(String) });
    const snaps = (await h.api('GET', `/vms/${vmId}/snapshots`)).json()['snapshot'] as Json[];
    expect(snaps.map((s) => [s['snapshot_type'], s['description']])).toEqual([
      ['active', 'Active VM'],
      ['regular', 'Auto-generated for Backup VM'],
    ]);
    const ready = await backupPhase(h, vmId, String(b['id']), 'ready');
    expect(ready['to_checkpoint_id']).toEqual(expect.any(String));
    // Hybrid never locks the disks' status.
    expect((await h.api('GET', `/disks/${cow}`)).json()['status']).toBe('ok');

    // Watch the model on every event-loop turn: finalize only sets a flag, the phase moves on the next tick.
    const record = h.engine.state.backups.get(String(b['id']))!;
    const trail: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        if (trail[trail.length - 1] !== record.step) trail.push(record.step);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const fin = await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    expect(fin.status).toBe(200);
    expect(record.stopped).toBe(true);
    const again = await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    expect(again.status).toBe(400);
    // Either the flag or the next tick's phase answers, depending on when the tick came.
    expect(String(again.json()['detail'])).toMatch(
      new RegExp(`^\\[VM 'hybrid-full' backup '${String(b['id'])}' is already (stopped|in 'REMOVING_SNAPSHOT' phase|in 'SUCCEEDED' phase), no need to stop the backup again\\]$`),
    );
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
    watching = false;
    await watch;
    expect(trail).toEqual(['ready', 'removing_snapshot', 'succeeded']);
    expect(backupPhaseOf('removing_snapshot')).toBe('finalizing');
    expect((await h.api('GET', `/vms/${vmId}/snapshots/${String(snapshotId)}`)).status).toBe(404);
    // Hybrid never clears backup_mode.
    expect((await h.api('GET', `/disks/${cow}`)).json()['backup_mode']).toBe('full');
  });

  test('incremental through the snapshot: the export is the pre-snapshot volume and its dirty map', async () => {
    const { vmId, cow } = await backupVm(h, 'hybrid-incr');
    const full = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    const cp1 = String((await backupPhase(h, vmId, String(full['id']), 'ready'))['to_checkpoint_id']);
    await h.api('POST', `/vms/${vmId}/backups/${String(full['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(full['id']), 'succeeded');

    await h.engine.vms.write(cow, 4 * MiB, Buffer.alloc(MiB, 5));
    const inc = await startBackup(h, vmId, { from_checkpoint_id: cp1, disks: { disk: [{ id: cow }] } });
    await backupPhase(h, vmId, String(inc['id']), 'ready');
    await h.engine.vms.write(cow, 20 * MiB, Buffer.alloc(MiB, 6)); // after the snapshot: not in this backup
    const t = await backupTransfer(h, String(inc['id']), cow);
    const dirty = JSON.parse((await imageio(h, String(t['transfer_url']), '/extents?context=dirty')).body.toString()) as Json[];
    expect(dirty.filter((e) => e['dirty'])).toEqual([{ start: 4 * MiB, length: MiB, dirty: true, zero: false }]);
    const at20 = await imageio(h, String(t['transfer_url']), '', { range: `bytes=${20 * MiB}-${20 * MiB + 9}` });
    expect(at20.body.equals(Buffer.alloc(10))).toBe(true);
    await endTransfer(h, t);
    await h.api('POST', `/vms/${vmId}/backups/${String(inc['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(inc['id']), 'succeeded');

    // The write after the snapshot shows in the next incremental.
    const cp2 = String((await h.api('GET', `/vms/${vmId}/backups/${String(inc['id'])}`)).json()['to_checkpoint_id']);
    const next = await startBackup(h, vmId, { from_checkpoint_id: cp2, disks: { disk: [{ id: cow }] } });
    await backupPhase(h, vmId, String(next['id']), 'ready');
    const t2 = await backupTransfer(h, String(next['id']), cow);
    const dirty2 = JSON.parse((await imageio(h, String(t2['transfer_url']), '/extents?context=dirty')).body.toString()) as Json[];
    expect(dirty2.filter((e) => e['dirty'])).toEqual([{ start: 20 * MiB, length: MiB, dirty: true, zero: false }]);
    await endTransfer(h, t2);
    await h.api('POST', `/vms/${vmId}/backups/${String(next['id'])}/finalize`, {});
  });

  test('?legacy=true gives a live legacy backup with a host; bare ?legacy does not', async () => {
    const { vmId, cow } = await backupVm(h, 'hybrid-legacy');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } }, '?legacy=true');
    expect(b['phase']).toBe('initializing');
    expect(b['host']).toBeDefined();
    expect(b['snapshot']).toBeUndefined();
    await backupPhase(h, vmId, String(b['id']), 'ready');
    await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
    const bare = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } }, '?legacy');
    expect(bare['phase']).toBe('starting');
    await backupPhase(h, vmId, String(bare['id']), 'ready');
    await h.api('POST', `/vms/${vmId}/backups/${String(bare['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(bare['id']), 'succeeded');
  });

  test('a snapshot cannot be removed while a backup of its VM runs', async () => {
    const { vmId, cow } = await backupVm(h, 'hybrid-snap');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    await backupPhase(h, vmId, String(b['id']), 'ready');
    const res = await h.api('DELETE', `/vms/${vmId}/snapshots/${String((b['snapshot'] as Json)['id'])}`);
    expect([res.status, res.json()['detail']]).toEqual([409, '[Cannot remove Snapshot. The VM is during a backup operation.]']);
    await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
  });
});

describe('4.3: the tech preview', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.3', realImageio: true });
  });
  afterAll(async () => h.close());

  test('no checkpoints: no to_checkpoint_id, no backup_mode, incremental refused, the row goes after finalize', async () => {
    const cow = (await backupVm(h, 'old-vm')).cow;
    const vmId = [...h.engine.state.vms.values()].find((v) => v.name === 'old-vm')!.id;
    let res = await h.api('POST', `/vms/${vmId}/backups`, { disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([409, `[Cannot backup VM. Incremental backup is disabled for the following disks: ${cow}.]`]);
    h.engine.state.disks.get(cow)!.backup = 'incremental';
    res = await h.api('POST', `/vms/${vmId}/backups`, { from_checkpoint_id: 'x', disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([400, '[Cannot backup VM. Incremental backup is not supported.]']);
    expect((await h.api('GET', `/vms/${vmId}/checkpoints`)).status).toBe(404);
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    expect(b['modification_date']).toBeUndefined();
    const ready = await backupPhase(h, vmId, String(b['id']), 'ready');
    expect(ready['to_checkpoint_id']).toBeUndefined();
    expect(ready['host']).toBeUndefined();
    const disks = (await h.api('GET', `/vms/${vmId}/backups/${String(b['id'])}/disks`)).json()['disk'] as Json[];
    expect(disks[0]!['backup_mode']).toBeUndefined();
    await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    await waitFor(async () => ((await h.api('GET', `/vms/${vmId}/backups/${String(b['id'])}`)).status === 404 ? true : undefined), 3000, 'backup row gone');
  });

  test('a down VM cannot be backed up', async () => {
    const { vmId, cow } = await backupVm(h, 'old-down', 'down');
    h.engine.state.disks.get(cow)!.backup = 'incremental';
    const res = await h.api('POST', `/vms/${vmId}/backups`, { disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([409, '[Cannot backup VM. The Virtual Machine should be in Up status.]']);
  });
});

describe('4.1: no backup API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.1' });
  });
  afterAll(async () => h.close());

  test('the backups collection does not exist', async () => {
    const vm = h.engine.vms.create({ name: 'ancient', status: 'up' });
    expect((await h.api('GET', `/vms/${vm.id}/backups`)).status).toBe(404);
    expect((await h.api('POST', `/vms/${vm.id}/backups`, { disks: { disk: [] } })).status).toBe(404);
  });
});
