/**
 * `npm run simulator -- [--port N] [--ipv6] [--data-dir DIR] [--engine-version 4.1|4.3|4.4|4.5] [--fast] [--fault name=value]… [--foreign-transfers]`
 *
 * Starts the oVirt engine + ovirt-imageio simulator on 127.0.0.1 (or ::1) and prints one JSON line with the
 * engine URL, the credentials and the CA file; then serves until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startSimulator } from './simulator.js';
import { leaveForeignTransfers } from './foreign-transfers.js';
import { applyFaults, noFaults, parseFaultArg } from './faults.js';
import type { EngineVersion } from './engine/server.js';
import { errorMessage } from '../engine/errors.js';

const USAGE = `Usage: npm run simulator -- [options]

  --port N                 engine REST port (default: a free port)
  --ipv6                   listen on ::1 instead of 127.0.0.1 (URLs say https://[::1]:PORT)
  --data-dir DIR           keep the simulated volumes in DIR (default: a temporary folder)
  --engine-version V       4.1, 4.3, 4.4 or 4.5 (default 4.5)
  --fast                   fast phase changes (for tests and demos)
  --password P             the admin@internal password (default: random)
  --fault NAME[=VALUE]     inject a fault (repeatable), e.g. --fault failNthPut=3
  --foreign-transfers      start with transfers another client left: a stuck upload, an open download
  -h, --help               this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      ipv6: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'engine-version': { type: 'string' },
      fast: { type: 'boolean' },
      password: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'foreign-transfers': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const version = (values['engine-version'] ?? '4.5') as EngineVersion;
  if (!['4.1', '4.3', '4.4', '4.5'].includes(version)) throw new Error(`--engine-version must be 4.1, 4.3, 4.4 or 4.5, not '${version}'`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not '${values.port}'`);
  const faults = noFaults();
  for (const f of values.fault ?? []) applyFaults(faults, parseFaultArg(f));

  const sim = await startSimulator({
    port,
    ...(values.ipv6 ? { host: '::1' as const } : {}),
    engineVersion: version,
    fast: values.fast ?? false,
    faults,
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values.password !== undefined ? { password: values.password } : {}),
  });
  if (values['foreign-transfers']) await leaveForeignTransfers(sim);
  // The handlers come first: whoever reads the connection line may stop the simulator at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`DiskFerry simulator: ${signal}, stopping.\n`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`DiskFerry simulator: error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  process.stdout.write(JSON.stringify(sim.connectionInfo()) + '\n');
  process.stderr.write(
    `DiskFerry simulator: oVirt ${version} engine at ${sim.engineUrl}, imageio daemon on port ${sim.daemon.port}, proxy on port ${sim.proxy.port}. Ctrl-C stops it.\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${errorMessage(err)}\n`);
  process.exit(2);
});
