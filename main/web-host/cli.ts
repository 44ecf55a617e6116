/**
 * `npm run web -- [--port N] [--renderer DIR] [--data-dir DIR] [--allow-origin URL]… [--no-demo]`
 *
 * Starts the oVirt simulator, the app core and the web host, prints the URL to open (with its token)
 * as the first line on stdout, and serves until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startDemoWebHost } from './host.js';
import { errorMessage } from '../engine/errors.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      renderer: { type: 'string' },
      'data-dir': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'no-demo': { type: 'boolean' },
    },
    strict: true,
  });
  const running = await startDemoWebHost({
    ...(values.port !== undefined ? { port: Number(values.port) } : {}),
    ...(values.renderer !== undefined ? { rendererDir: values.renderer } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values['allow-origin'] ? { allowedOrigins: values['allow-origin'] } : {}),
    selectDemo: !values['no-demo'],
  });
  process.stdout.write(`${running.host.url}\n`);
  process.stderr.write(`DiskFerry web host: open ${running.host.url} (simulator at ${running.sim.engineUrl}). Ctrl-C stops it.\n`);
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`DiskFerry web host: error while stopping: ${errorMessage(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`web host failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
