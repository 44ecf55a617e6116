import { describe, expect, it } from 'vitest';
import { parseServerOptions } from '../../../main/engine/imageio/server-options.js';

const res = (status: number, body: string) => ({ status, body: Buffer.from(body) });

describe('parseServerOptions', () => {
  it('reads features and limits of a modern daemon, ignoring unknown features', () => {
    const body = '{"unix_socket": "\\u0000/org/ovirt/imageio", "features": ["checksum", "extents", "flush", "zero", "teleport"], "max_readers": 8, "max_writers": 8}\n';
    expect(parseServerOptions(res(200, body))).toEqual({
      legacy: false,
      features: { extents: true, zero: true, flush: true, checksum: true },
      maxReaders: 8,
      maxWriters: 8,
    });
  });

  it('treats missing limits as 1 (imageio 1.5)', () => {
    const parsed = parseServerOptions(res(200, '{"features": ["extents", "zero", "flush"]}'));
    expect(parsed.features).toEqual({ extents: true, zero: true, flush: true, checksum: false });
    expect([parsed.maxReaders, parsed.maxWriters]).toEqual([1, 1]);
  });

  it('caps advertised limits at 8', () => {
    const parsed = parseServerOptions(res(200, '{"features": [], "max_readers": 64, "max_writers": 0}'));
    expect([parsed.maxReaders, parsed.maxWriters]).toEqual([8, 1]);
  });

  it.each([405, 204])('treats %i as a legacy server', (status) => {
    expect(parseServerOptions(res(status, ''))).toEqual({
      legacy: true,
      features: { extents: false, zero: false, flush: false, checksum: false },
      maxReaders: 1,
      maxWriters: 1,
    });
  });

  it('refuses a 200 whose body is not a JSON object (no imageio answers so)', () => {
    expect(() => parseServerOptions(res(200, '<html>'))).toThrow(expect.objectContaining({ code: 'protocol' }));
    expect(() => parseServerOptions(res(200, '["extents"]'))).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});
