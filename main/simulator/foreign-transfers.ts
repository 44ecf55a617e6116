/**
 * Transfers another client left on the simulated engine, made through its own REST API as that client
 * would: an upload the engine paused while starting it (`paused_system`, its disk locked, nobody
 * resuming it) and a download opened with the inactivity timeout off (it stays open until someone
 * ends it). `npm run simulator -- --foreign-transfers` starts with them, to try `diskferry transfers`.
 */
import { silentLog } from '../engine/log.js';
import { OvirtClient } from '../engine/ovirt/client.js';
import type { Simulator } from './simulator.js';

/** What was left: the transfer and disk ids. */
export interface ForeignTransfers {
  readonly stuckUpload: { readonly transferId: string; readonly diskId: string };
  readonly openDownload: { readonly transferId: string; readonly diskId: string };
}

/** See the file comment. The simulator's faults are as they were afterwards. */
export async function leaveForeignTransfers(sim: Simulator): Promise<ForeignTransfers> {
  const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [sim.caPem] }, log: silentLog, pollIntervalMs: 50 });
  try {
    await client.login();
    const sd = (await client.storageDomains()).find((d) => d.type === 'data' && d.status === 'active');
    if (!sd) throw new Error('the simulator has no active data domain');
    const disk = async (name: string) => {
      const d = await client.createDisk({ name, description: 'left by another client', provisionedSize: 64 * 1024 * 1024, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
      return (await client.waitForDiskOk(d.id, { timeoutMs: 60_000 })).id;
    };
    const upDisk = await disk('left-by-another-client-upload');
    const before = sim.faults.pausedSystemAtStart;
    sim.faults.pausedSystemAtStart = true;
    let up;
    try {
      up = await client.createTransfer({ diskId: upDisk, direction: 'upload', format: 'raw' });
    } finally {
      sim.faults.pausedSystemAtStart = before;
    }
    const downDisk = await disk('left-by-another-client-download');
    const down = await client.createTransfer({ diskId: downDisk, direction: 'download', format: 'raw', inactivityTimeout: 0 });
    return { stuckUpload: { transferId: up.id, diskId: upDisk }, openDownload: { transferId: down.id, diskId: downDisk } };
  } finally {
    await client.logout().catch(() => {});
    await client.close();
  }
}
