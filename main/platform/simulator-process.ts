/**
 * The Electron launcher of the demo engine: the compiled simulator (dist/main/simulator/cli.js) in
 * an Electron utility process. Not `child_process.fork`: that needs ELECTRON_RUN_AS_NODE, which the
 * packaged app's RunAsNode fuse turns off; and not in the main process, whose event loop serves
 * the window and the transfers while the simulator checksums and serves gigabytes. A utility
 * process is a Node process Electron starts itself, and it loads its script from inside the asar.
 */
import { utilityProcess } from 'electron';
import type { SimulatorLauncher } from '../app/demo-engine.js';
import { DiskFerryError } from '../engine/errors.js';

/** Forks `modulePath` (the simulator's compiled command line) as a utility process. */
export function utilitySimulatorLauncher(modulePath: string): SimulatorLauncher {
  return (args) => {
    const child = utilityProcess.fork(modulePath, [...args], { stdio: ['ignore', 'pipe', 'ignore'], serviceName: 'DiskFerry demo engine' });
    const stdout = child.stdout;
    if (!stdout) throw new DiskFerryError('internal', 'The demo engine process has no standard output.');
    return {
      stdout,
      onEnd(listener) {
        child.once('exit', (code) => listener(`exit code ${code}`));
      },
      stop() {
        child.kill();
      },
    };
  };
}
