import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmNamesByDisk } from '../../../main/engine/ovirt/vms.js';
import { seedId } from '../../../main/simulator/engine/seed.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { simClient, type TestClient } from './sim-helpers.js';

describe.each(['4.1', '4.5'] as const)('VMs of the disks on engine %s', (version) => {
  let sim: Simulator;
  let t: TestClient;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: version, fast: true });
    t = simClient(sim);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('says which VM each disk is attached to, and nothing for floating disks', async () => {
    const byDisk = vmNamesByDisk(await t.client.vms());
    expect(byDisk.get(seedId('disk:web-01-disk1'))).toEqual(['web-01']);
    expect(byDisk.get(seedId('disk:vm-running-disk'))).toEqual(['app-01']);
    expect(byDisk.has(seedId('disk:fedora-40-root'))).toBe(false);
  });

  it('inlines the attachments from 4.2 on, and asks per VM on older engines', async () => {
    t.seen.length = 0;
    await t.client.vms();
    const perVm = t.seen.filter((r) => /\/vms\/[^/]+\/diskattachments$/.test(r.path));
    const list = t.seen.find((r) => /\/api\/vms(\?|$)/.test(r.path));
    if (version === '4.1') {
      expect(perVm).toHaveLength(2);
      expect(list?.path).not.toContain('follow=');
    } else {
      expect(perVm).toHaveLength(0);
      expect(list?.path).toContain('follow=disk_attachments');
    }
  });

  it('lists a disk shared by two VMs under both names, sorted', async () => {
    const diskId = seedId('disk:fedora-40-root');
    sim.engine.state.vms.set('vm-z', { id: 'vm-z', name: 'zeta', status: 'down', diskIds: [diskId] });
    sim.engine.state.vms.set('vm-a', { id: 'vm-a', name: 'alpha', status: 'down', diskIds: [diskId] });
    try {
      expect(vmNamesByDisk(await t.client.vms()).get(diskId)).toEqual(['alpha', 'zeta']);
    } finally {
      sim.engine.state.vms.delete('vm-z');
      sim.engine.state.vms.delete('vm-a');
    }
  });
});
