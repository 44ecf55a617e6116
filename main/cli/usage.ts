/** The command line's help: every form of every command, the options all of them take, the exit codes. */

/** Usage lines of the queue commands. */
export const QUEUE_USAGE = `  diskferry queue add upload FILE… --storage-domain NAME [--name N] [--disk-format raw|cow] [--preallocated] [--no-verify] [--priority N] [--now]
  diskferry queue add download DISK… --output DIR [--format raw|qcow2] [--no-verify] [--if-exists fail|overwrite|rename|skip]
                      [--priority N] [--now]
  diskferry queue add backup VM… --output DIR [--full|--incremental|--auto] [--snapshot] [--keep N [--remove-checkpoints]] [--no-verify]
                      [--priority N] [--now]
  diskferry queue add restore RUN_DIR|FILE --storage-domain NAME [--name N] [--disk ALIAS]… [--attach VM] [--disk-format raw|cow] [--preallocated] [--no-verify]
                      [--priority N] [--now]
  diskferry queue list [--json]
  diskferry queue run [--window [DAYS] HH:MM-HH:MM]… [--limit RATE] [--window-limit RATE] [--concurrency N]
                      [--per-engine N] [--per-storage-domain N] [--retries N] [--retry-delay S] [--workers N] [--json]
  diskferry queue report [--csv] [--json] [--all]
  diskferry queue pause|resume|cancel ID…   (a running queue run takes them at once)
  diskferry queue remove ID… | --finished
  diskferry queue move ID up|down|top|bottom
  diskferry queue priority ID N
  diskferry queue retry ID`;

/** The whole help (`diskferry --help`). */
export const USAGE = `diskferry — move VM disk images in and out of oVirt

Usage:
  diskferry login --engine URL --username USER@PROFILE [--password-file F] [--ca-file F] [--trust-fingerprint FP] [--system-trust] [--name NAME]
  diskferry logout [--profile NAME | --all]   (ends the engine session login kept, deletes its token)
  diskferry profiles [list] [--json]
  diskferry profiles remove NAME…
  diskferry storage-domains [--json]
  diskferry disks [--search QUERY] [--max N] [--json]
  diskferry upload FILE… --storage-domain NAME [--name N] [--disk-format raw|cow] [--preallocated] [--workers N]
                      [--limit RATE] [--inactivity-timeout S] [--use-proxy] [--no-verify] [--resume]
                      (--resume: continue an interrupted upload of FILE on its disk, sending only the rest)
  diskferry download DISK… --output DIR [--format raw|qcow2] [--workers N] [--if-exists fail|overwrite|rename|skip]
                      [--no-resume] [--limit RATE] [--inactivity-timeout S] [--use-proxy] [--no-verify]
  diskferry upload FILE --transfer-url URL [--proxy-url URL] --ca-file F [--as-is] [--limit RATE] [--no-verify]   (data plane only)
  diskferry download --transfer-url URL [--proxy-url URL] --ca-file F --output FILE [--if-exists fail|overwrite] [--format raw|qcow2]
                      [--limit RATE] [--no-verify]   (data plane only)
  diskferry download --all --storage-domain NAME --output DIR | --search QUERY --output DIR   (queues the disks, runs the queue)
                      [--if-exists fail|overwrite|rename|skip] [--limit RATE] [--format raw|qcow2] [--workers N]
  diskferry vms [--output DIR] [--json]   (VMs with their status, disks and the last backup in DIR)
  diskferry backup VM… --output DIR [--full|--incremental|--auto] [--snapshot] [--keep N [--remove-checkpoints]]
                      [--workers N] [--limit RATE] [--use-proxy] [--no-verify]   (running or down; docs/backup.md;
                      --snapshot, and every backup on engines before 4.4: from a VM snapshot, a full copy)
  diskferry backups list DIR [--json]
  diskferry backups prune DIR --keep N [--remove-checkpoints] [--dry-run]   (keeps the newest N full chains per VM)
${QUEUE_USAGE}
  diskferry transfers [--all] [--json]   (every image transfer on the engine, ours marked; --all adds finished ones)
  diskferry transfers clean [--dry-run] [--older-than DURATION] [--yes] [ID…]
                      (ends stuck transfers: downloads finalized, uploads cancelled — which deletes their disk)
  diskferry checksum FILE… [--algorithm blake2b|blake2s|sha1|sha256|sha512] [--block-size BYTES]
                      (the guest data's checksum as imageio computes it; no engine needed)
  diskferry restore RUN_DIR|FILE --storage-domain NAME [--name N] [--disk ALIAS]… [--attach VM] [--workers N]
                      [--limit RATE] [--no-verify]   (a backup run's disks, or one image with its backing chain,
                      each into a new disk; --attach: to this VM, by name or id)
  diskferry --version   (the version of this diskferry)

Options for every command:
  --profile NAME         the engine profile to use (default: the last one you logged in to)
  --engine URL --username USER@PROFILE   use an engine without a saved profile
  --password-file F      read the password from F (else DISKFERRY_PASSWORD, else the session login kept,
                         else a prompt)
  --ca-file F            trust this CA certificate (PEM) for the engine and its hosts
  --system-trust         also trust the operating system's CAs
  --insecure             do not verify TLS certificates (dangerous: for labs only)
  --json                 machine-readable output: one JSON object a line
  --quiet, -q            no progress output
  --log-file F, --log-level error|warn|info|debug

RATE (--limit, --window-limit): a number alone is MiB/s (200); 40MiB/s, 50M, 1.5G are binary units,
40MB/s decimal ones, 500Mbit/s and 1Gbit/s bits per second; /s may be left out; at least 64 KiB/s.

Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted, 141 the reader of the output went away mid-transfer.`;

/** The usage lines of one command (all its forms) and the options every command takes; null for an unknown command. */
export function commandUsage(command: string): string | null {
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line.startsWith('  diskferry ')) keep = line.startsWith(`  diskferry ${command} `);
    else if (!line.startsWith('    ')) keep = false;
    if (keep) picked.push(line);
  }
  if (picked.length === 0) return null;
  const common = USAGE.slice(USAGE.indexOf('Options for every command:'));
  return ['Usage:', ...picked, '', common].join('\n');
}
