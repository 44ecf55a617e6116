/**
 * The VM backup API against reference/backup.md: JSON shapes, phases per mode, the start and
 * finalize validations, backup transfers and the dirty extents after guest writes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, waitFor, type Harness } from './engine-harness.js';
import { backupPhase, backupTransfer, backupVm, endTransfer, imageio, MiB, startBackup } from './backup-harness.js';

type Json = Record<string, unknown>;

describe('4.4: legacy backups with checkpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.4', realImageio: true });
  });
  afterAll(async () => h.close());

  test('full backup of a running VM: initializing → ready with to_checkpoint_id, disks with backup_mode, then succeeded', async () => {
    const { vmId, cow, raw } = await backupVm(h, 'legacy-full');
    const b = await startBackup(h, vmId, { description: 'nightly', disks: { disk: [{ id: cow }, { id: raw }] } });
    expect(b['phase']).toBe('initializing');
    expect(b['to_checkpoint_id']).toBeUndefined();
    expect(b['host']).toMatchObject({ id: expect.any(String) });
    expect(b['snapshot']).toBeUndefined();
    expect(b['link']).toEqual([{ href: `/ovirt-engine/api/vms/${vmId}/backups/${String(b['id'])}/disks`, rel: 'disks' }]);
    expect(b['actions']).toEqual({ link: [{ href: `/ovirt-engine/api/vms/${vmId}/backups/${String(b['id'])}/finalize`, rel: 'finalize' }] });
    expect(typeof b['creation_date']).toBe('number');
    expect(b['disks']).toBeUndefined();
    expect((await h.api('GET', `/disks/${cow}`)).json()['status']).toBe('locked');

    const ready = await backupPhase(h, vmId, String(b['id']), 'ready');
    expect(ready['to_checkpoint_id']).toEqual(expect.any(String));
    const disks = (await h.api('GET', `/vms/${vmId}/backups/${String(b['id'])}/disks`)).json()['disk'] as Json[];
    expect(disks.map((d) => [d['id'], d['backup_mode']])).toEqual([
      [cow, 'full'],
      [raw, 'full'],
    ]);
    expect(disks[0]!['link']).toBeUndefined();

    const checkpoints = (await h.api('GET', `/vms/${vmId}/checkpoints`)).json()['checkpoint'] as Json[];
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]).toMatchObject({ id: ready['to_checkpoint_id'], state: 'created', description: 'nightly' });
    expect(checkpoints[0]!['parent_id']).toBeUndefined();
    // Only the qcow2 disk joins the checkpoint.
    const cpDisks = (await h.api('GET', `/vms/${vmId}/checkpoints/${String(ready['to_checkpoint_id'])}/disks`)).json()['disk'] as Json[];
    expect(cpDisks.map((d) => d['id'])).toEqual([cow]);

    const fin = await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    expect(fin.status).toBe(200);
    expect(fin.json()).toEqual({ status: 'complete' });
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
    const disk = (await h.api('GET', `/disks/${cow}`)).json();
    expect(disk['status']).toBe('ok');
    expect(disk['backup_mode']).toBeUndefined();
  });

  test('start validations in the engine order, each with its code and text', async () => {
    const { vmId, cow } = await backupVm(h, 'legacy-checks');
    const post = (body: Json) => h.api('POST', `/vms/${vmId}/backups`, body);
    let res = await h.api('POST', '/vms/00000000-0000-0000-0000-000000000000/backups', { disks: { disk: [{ id: cow }] } });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ reason: 'Operation Failed', detail: 'Entity not found: 00000000-0000-0000-0000-000000000000' });
    res = await post({});
    expect([res.status, res.json()['reason']]).toEqual([400, 'Incomplete parameters']);
    res = await post({ disks: { disk: [{ id: 'nope' }] } });
    expect([res.status, res.json()['detail']]).toEqual([400, '[Cannot backup VM. The following disk(s) ID(s) does not exist: nope.]']);
    const other = await backupVm(h, 'legacy-other');
    res = await post({ disks: { disk: [{ id: other.cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([409, `[Cannot backup VM. The following disks are not active on VM legacy-checks: ${other.cow}]`]);
    res = await post({ from_checkpoint_id: 'cp-x', disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([400, "[Cannot backup VM. Checkpoint ID cp-x doesn't exist.]"]);
    h.engine.vms.setStatus(vmId, 'paused');
    res = await post({ disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([409, '[Cannot backup VM. The Virtual Machine should be in Up or Down status.]']);
    h.engine.vms.setStatus(vmId, 'up');
    const first = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    // Its disk is locked by the running legacy backup, which the engine checks first.
    res = await post({ disks: { disk: [{ id: cow }] } });
    expect([res.status, res.json()['detail']]).toEqual([409, '[Cannot backup VM. The following disks are locked: legacy-checks-cow. Please try again in a few minutes.]']);
    await backupPhase(h, vmId, String(first['id']), 'ready');
    await h.api('POST', `/vms/${vmId}/backups/${String(first['id'])}/finalize`, {});
    res = await post({ disks: { disk: [{ id: cow }] } });
    // Finalizing still counts as "during a backup" (the disk is locked until the end, so that comes first).
    expect(res.status).toBe(409);
    await backupPhase(h, vmId, String(first['id']), 'succeeded');
  });

  test('finalize rules: 409 with an active transfer, 400 once finalizing or finished, premature stop fails the backup', async () => {
    const { vmId, cow } = await backupVm(h, 'legacy-finalize');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    const early = await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    expect(early.status).toBe(400);
    expect(String(early.json()['detail'])).toMatch(new RegExp(`^\\[Backup '${String(b['id'])}' is in '[A-Z_]+' phase, premature backup stop was initiated.\\]$`));
    await backupPhase(h, vmId, String(b['id']), 'failed');
    // A failed legacy backup deletes the checkpoint it created.
    expect((await h.api('GET', `/vms/${vmId}/checkpoints`)).json()).toEqual({});

    const b2 = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    await backupPhase(h, vmId, String(b2['id']), 'ready');
    const t = await backupTransfer(h, String(b2['id']), cow);
    const busy = await h.api('POST', `/vms/${vmId}/backups/${String(b2['id'])}/finalize`, {});
    expect([busy.status, busy.json()['detail']]).toEqual([409, '[Cannot stop VM backup. There is an active image transfer for VM backup]']);
    await endTransfer(h, t);
    expect((await h.api('POST', `/vms/${vmId}/backups/${String(b2['id'])}/finalize`, {})).status).toBe(200);
    const again = await h.api('POST', `/vms/${vmId}/backups/${String(b2['id'])}/finalize`, {});
    expect([again.status, again.json()['detail']]).toEqual([400, `[VM 'legacy-finalize' backup '${String(b2['id'])}' is already in 'FINALIZING' phase, no need to stop the backup again]`]);
  });

  test('backup transfers: require ready, refuse cow, read the point-in-time export on the VM host, no disk lock', async () => {
    const { vmId, cow, raw } = await backupVm(h, 'legacy-xfer');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }, { id: raw }] } });
    let res = await h.api('POST', '/imagetransfers', { disk: { id: cow }, backup: { id: String(b['id']) }, direction: 'download', format: 'raw' });
    expect(res.status).toBe(409);
    expect(String(res.json()['detail'])).toMatch(/^\[Cannot transfer Virtual Disk. The VM backup is not in READY phase, backup phase is [A-Z_]+.\]$/);
    res = await h.api('POST', '/imagetransfers', { disk: { id: cow }, backup: { id: 'nope' }, direction: 'download' });
    expect([res.status, res.json()['detail']]).toEqual([400, '[Cannot transfer Virtual Disk. The specified VM backup does not exist.]']);
    await backupPhase(h, vmId, String(b['id']), 'ready');
    res = await h.api('POST', '/imagetransfers', { disk: { id: cow }, backup: { id: String(b['id']) }, direction: 'download', format: 'cow' });
    expect([res.status, res.json()['detail']]).toEqual([400, '[Cannot transfer Virtual Disk. The specified format is not applicable for VM backup.]']);

    // The guest writes after the backup started: the export does not show it.
    await h.engine.vms.write(cow, 0, Buffer.alloc(4096, 9));
    const t = await backupTransfer(h, String(b['id']), cow);
    expect(t['image']).toEqual({ id: cow });
    expect(t['disk']).toBeUndefined();
    expect((t['host'] as Json)['id']).toBe(((await h.api('GET', `/vms/${vmId}`)).json()['host'] as Json)['id']);
    const got = await imageio(h, String(t['transfer_url']), '', { range: 'bytes=0-4095' });
    expect(got.status).toBe(206);
    expect(got.body.equals(Buffer.alloc(4096, 1))).toBe(true);
    // Full disk in a backup: no dirty extents.
    expect((await imageio(h, String(t['transfer_url']), '/extents?context=dirty')).status).toBe(404);
    expect((await h.api('GET', `/disks/${cow}`)).json()['status']).toBe('locked');
    await endTransfer(h, t);
    expect((await h.api('GET', `/disks/${cow}`)).json()['status']).toBe('locked'); // still the backup's lock
    await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
  });

  test('incremental: dirty extents are exactly the guest writes since the checkpoint; raw disks stay full', async () => {
    const { vmId, cow, raw } = await backupVm(h, 'legacy-incr');
    const full = await startBackup(h, vmId, { disks: { disk: [{ id: cow }, { id: raw }] } });
    const cp1 = String((await backupPhase(h, vmId, String(full['id']), 'ready'))['to_checkpoint_id']);
    await h.api('POST', `/vms/${vmId}/backups/${String(full['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(full['id']), 'succeeded');

    await h.engine.vms.write(cow, 8 * MiB, Buffer.alloc(MiB, 7));
    await h.engine.vms.zero(cow, 0, 64 * 1024);
    const inc = await startBackup(h, vmId, { from_checkpoint_id: cp1, disks: { disk: [{ id: cow }, { id: raw }] } });
    expect(inc['from_checkpoint_id']).toBe(cp1);
    const ready = await backupPhase(h, vmId, String(inc['id']), 'ready');
    const disks = (await h.api('GET', `/vms/${vmId}/backups/${String(inc['id'])}/disks`)).json()['disk'] as Json[];
    expect(disks.map((d) => d['backup_mode'])).toEqual(['incremental', 'full']);
    const t = await backupTransfer(h, String(inc['id']), cow);
    const dirty = JSON.parse((await imageio(h, String(t['transfer_url']), '/extents?context=dirty')).body.toString()) as Json[];
    expect(dirty).toEqual([
      { start: 0, length: 64 * 1024, dirty: true, zero: true },
      { start: 64 * 1024, length: MiB - 64 * 1024, dirty: false, zero: false },
      { start: MiB, length: 7 * MiB, dirty: false, zero: true },
      { start: 8 * MiB, length: MiB, dirty: true, zero: false },
      { start: 9 * MiB, length: 55 * MiB, dirty: false, zero: true },
    ]);
    await endTransfer(h, t);
    const rawT = await backupTransfer(h, String(inc['id']), raw);
    expect((await imageio(h, String(rawT['transfer_url']), '/extents?context=dirty')).status).toBe(404);
    await endTransfer(h, rawT);
    await h.api('POST', `/vms/${vmId}/backups/${String(inc['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(inc['id']), 'succeeded');
    const chain = (await h.api('GET', `/vms/${vmId}/checkpoints`)).json()['checkpoint'] as Json[];
    expect(chain.map((c) => [c['id'], c['parent_id']])).toEqual([
      [cp1, undefined],
      [ready['to_checkpoint_id'], cp1],
    ]);
  });

  test('checkpoint removal: 409 during a backup, then the child is re-pointed and the row goes', async () => {
    const { vmId, cow } = await backupVm(h, 'legacy-cp');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const b = await startBackup(h, vmId, { ...(ids.length > 0 ? { from_checkpoint_id: ids[ids.length - 1] } : {}), disks: { disk: [{ id: cow }] } });
      ids.push(String((await backupPhase(h, vmId, String(b['id']), 'ready'))['to_checkpoint_id']));
      if (i === 1) {
        const res = await h.api('DELETE', `/vms/${vmId}/checkpoints/${ids[0]!}`);
        expect([res.status, res.json()['detail']]).toEqual([409, '[Cannot remove checkpoint. The VM is during a backup operation.]']);
      }
      await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
      await backupPhase(h, vmId, String(b['id']), 'succeeded');
    }
    expect((await h.api('DELETE', `/vms/${vmId}/checkpoints/${ids[0]!}`)).status).toBe(200);
    await waitFor(async () => ((await h.api('GET', `/vms/${vmId}/checkpoints/${ids[0]!}`)).status === 404 ? true : undefined), 3000, 'checkpoint gone');
    const chain = (await h.api('GET', `/vms/${vmId}/checkpoints`)).json()['checkpoint'] as Json[];
    expect(chain.map((c) => [c['id'], c['parent_id']])).toEqual([[ids[1], undefined]]);
    const res = await h.api('POST', `/vms/${vmId}/backups`, { from_checkpoint_id: ids[0], disks: { disk: [{ id: cow }] } });
    expect(res.status).toBe(400);
  });

  test('cold backup of a down VM: no host, initializing → ready', async () => {
    const { vmId, cow } = await backupVm(h, 'legacy-cold', 'down');
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    expect(b['host']).toBeUndefined();
    expect(b['phase']).toBe('initializing');
    const ready = await backupPhase(h, vmId, String(b['id']), 'ready');
    expect(ready['to_checkpoint_id']).toEqual(expect.any(String));
    await h.api('POST', `/vms/${vmId}/backups/${String(b['id'])}/finalize`, {});
    await backupPhase(h, vmId, String(b['id']), 'succeeded');
  });

  test('the failNextBackup fault: failed before ready, no checkpoint left', async () => {
    const { vmId, cow } = await backupVm(h, 'legacy-fail');
    h.faults.failNextBackup = true;
    const b = await startBackup(h, vmId, { disks: { disk: [{ id: cow }] } });
    await backupPhase(h, vmId, String(b['id']), 'failed');
    expect((await h.api('GET', `/vms/${vmId}/checkpoints`)).json()).toEqual({});
    expect((await h.api('GET', `/disks/${cow}`)).json()['status']).toBe('ok');
  });
});
