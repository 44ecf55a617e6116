/**
 * The demo engine: the built-in simulator (main/simulator/cli.ts, `--fast`) in a process of its own,
 * started on first use. Its first stdout line says how to connect; stopping the process (SIGTERM)
 * makes it remove its temporary volumes. How the process starts is a port, because Electron and
 * plain Node start it differently: the Electron app forks a utility process
 * (main/platform/simulator-process.ts), which works from inside the asar with the RunAsNode fuse
 * off; a Node host would spawn `node dist/main/simulator/cli.js`.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DiskFerryError } from '../engine/errors.js';
import type { DemoEngine, DemoEnginePort } from './ports.js';

/** A started simulator process. */
export interface SimulatorProcess {
  /** The process's standard output: its first line is the connection JSON. */
  readonly stdout: NodeJS.ReadableStream;
  /** Calls back once when the process ends or could not start, saying why. */
  onEnd(listener: (why: string) => void): void;
  /** Asks the process to stop (SIGTERM: it closes its servers and removes its volumes). */
  stop(): void;
}

/** Starts the simulator's command line with these arguments. */
export type SimulatorLauncher = (args: readonly string[]) => SimulatorProcess;

/** A demo engine port plus a way to stop the simulator on quit. */
export interface ChildDemoEngine extends DemoEnginePort {
  stop(): void;
}

/** The connection line the simulator prints (main/simulator/cli.ts). */
interface ConnectionLine {
  readonly engine_url: string;
  readonly username: string;
  readonly password: string;
  readonly ca_file: string;
}

function parseConnectionLine(line: string): ConnectionLine {
  let info: Partial<ConnectionLine>;
  try {
    info = JSON.parse(line) as Partial<ConnectionLine>;
  } catch {
    throw new DiskFerryError('internal', 'The demo engine started but did not say how to connect to it.');
  }
  const { engine_url, username, password, ca_file } = info;
  if (typeof engine_url !== 'string' || typeof username !== 'string' || typeof password !== 'string' || typeof ca_file !== 'string') {
    throw new DiskFerryError('internal', 'The demo engine started but did not say how to connect to it.');
  }
  return { engine_url, username, password, ca_file };
}

/** The demo engine port over a simulator process (the engines service starts it once). */
export function simulatorDemoEngine(launch: SimulatorLauncher): ChildDemoEngine {
  let child: SimulatorProcess | null = null;
  const stop = () => {
    child?.stop();
    child = null;
  };
  return {
    async start(): Promise<DemoEngine> {
      const proc = launch(['--fast']);
      child = proc;
      try {
        const line = await new Promise<string>((resolve, reject) => {
          const rl = createInterface({ input: proc.stdout });
          rl.once('line', (l) => {
            rl.close();
            resolve(l);
          });
          proc.onEnd((why) => reject(new DiskFerryError('internal', `The demo engine stopped at start (${why}).`)));
        });
        const info = parseConnectionLine(line);
        return { engineUrl: info.engine_url, username: info.username, password: info.password, caPem: await readFile(info.ca_file, 'utf8') };
      } catch (err) {
        stop();
        throw err;
      }
    },
    stop,
  };
}
