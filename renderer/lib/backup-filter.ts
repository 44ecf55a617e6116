/** Which VMs the Backups… sheet shows: all, or one (a VM list opens it for one, by id or by name). */
import type { BackupVmView } from '../../shared/ipc.js';

/** Which VM to show (either field may be null; both null: every VM). */
export interface BackupsFilter {
  readonly vmId: string | null;
  readonly vmName: string | null;
}

/** The VMs the filter keeps: by id when it has one (a renamed VM keeps its id), else by name. */
export function filterVms(vms: readonly BackupVmView[], filter: BackupsFilter): readonly BackupVmView[] {
  if (filter.vmId !== null) return vms.filter((v) => v.vmId === filter.vmId);
  if (filter.vmName !== null) return vms.filter((v) => v.vmName === filter.vmName);
  return vms;
}
