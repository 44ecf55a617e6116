/**
 * Keeping Windows awake while bytes move: SetThreadExecutionState(ES_CONTINUOUS | ES_SYSTEM_REQUIRED)
 * asks that the system not sleep (the display may still turn off) until the same thread clears it
 * with ES_CONTINUOUS alone, or the process ends, even by a kill: nothing outlives DiskFerry. The
 * call is made on the JavaScript thread, which lives as long as the process.
 */
import type { Log } from '../log.js';
import type { PowerPort } from '../queue/ports.js';
import { ES_CONTINUOUS, ES_SYSTEM_REQUIRED, loadWin32Native, type Win32Native } from './win32-native.js';

/** The Windows power port over kernel32 (the real one by default). */
export function win32Power(log: Log, native: () => Win32Native | null = loadWin32Native): PowerPort {
  let held = false;
  let usable = true;
  return {
    setAwake(awake) {
      if (awake === held || !usable) return;
      const n = native();
      const flags = awake ? (ES_CONTINUOUS | ES_SYSTEM_REQUIRED) >>> 0 : ES_CONTINUOUS;
      if (!n || n.setThreadExecutionState(flags) === 0) {
        usable = false;
        log.info('cannot keep the computer awake', { why: n ? 'SetThreadExecutionState failed' : 'kernel32 could not be loaded' });
        return;
      }
      held = awake;
    },
  };
}
