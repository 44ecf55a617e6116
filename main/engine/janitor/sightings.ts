/**
 * How long a transfer has been idle, as DiskFerry saw it. The engine does not report a transfer's idle
 * time (imageio's `idle_time` stays between the engine and the host), so each listing notes what it
 * saw of every transfer (phase, bytes transferred, active) and since when that has not changed. The
 * first sighting knows nothing yet; an unchanged transfer seen again has been idle at least since then.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic.js';
import type { ImageTransfer } from '../ovirt/types.js';

interface Sighting {
  readonly seen: string;
  readonly since: number;
}

/** What a transfer looks like from outside: a change of any part means it moved. */
function look(t: ImageTransfer): string {
  return `${t.phase}|${t.transferred ?? ''}|${t.active === true ? 'active' : ''}`;
}

/** Idle times of the transfers of one engine, kept in a small file between runs. */
export class Sightings {
  private constructor(
    private readonly file: string | null,
    private readonly byId: Map<string, Sighting>,
  ) {}

  /** Loads the file (a missing or damaged one starts empty); `null` keeps them in memory only. */
  static async open(file: string | null): Promise<Sightings> {
    const text = file === null ? null : await readFile(file, 'utf8').catch(() => null);
    const map = new Map<string, Sighting>();
    try {
      const raw = text === null ? {} : (JSON.parse(text) as Record<string, Sighting>);
      for (const [id, s] of Object.entries(raw)) if (typeof s?.seen === 'string' && typeof s.since === 'number') map.set(id, s);
    } catch {
      // damaged: start again
    }
    return new Sightings(file, map);
  }

  /**
   * Notes what the engine shows now and returns each transfer's idle time in ms: null when it is
   * moving or seen for the first time (nothing known yet). Transfers the engine no longer lists are forgotten.
   */
  update(transfers: readonly ImageTransfer[], now: number): Map<string, number | null> {
    const idle = new Map<string, number | null>();
    const next = new Map<string, Sighting>();
    for (const t of transfers) {
      const seen = look(t);
      const before = this.byId.get(t.id);
      const moving = t.active === true || !before || before.seen !== seen;
      next.set(t.id, moving ? { seen, since: now } : before);
      idle.set(t.id, moving ? null : now - before.since);
    }
    this.byId.clear();
    for (const [id, s] of next) this.byId.set(id, s);
    return idle;
  }

  /** Writes the file (errors are the caller's to log: idle times are a help, not a need). */
  async save(): Promise<void> {
    if (this.file === null) return;
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.byId)));
  }
}
