import { describe, expect, it } from 'vitest';
import { CopyProgressCounter, type CopyProgress } from '../../../main/engine/imageio/copy-progress.js';

describe('CopyProgressCounter', () => {
  it('counts skipped ranges at once, pieces as they go, and a resent range only once', () => {
    const events: CopyProgress[] = [];
    const c = new CopyProgressCounter(30, (p) => events.push(p));
    const zero = { start: 0, length: 10, zero: true };
    const data = { start: 10, length: 20, zero: false };
    c.complete(zero);
    c.piece(data, 8, true);
    expect(c.snapshot()).toEqual({ bytesDone: 18, dataDone: 8, bytesOnWire: 8, bytesTotal: 30 });
    c.abandon(data); // the request failed; it will be sent again
    c.piece(data, 8, true);
    c.piece(data, 12, true);
    c.complete(data);
    c.piece(data, 20, true); // a replay after a 5xx
    c.complete(data);
    expect(c.snapshot()).toEqual({ bytesDone: 30, dataDone: 20, bytesOnWire: 48, bytesTotal: 30 });
    const done = events.map((e) => e.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });
});
