/** scripts/update-screenshots.ts: the README's pictures are the ones the e2e run saved. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyScreenshots, screenshotsNamed } from '../../scripts/update-screenshots.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'screenshots-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('update-screenshots', () => {
  it('finds each picture the README names once, in order', async () => {
    const readme = '![a](docs/screenshots/main-window.png) text ![b](docs/screenshots/error-ja.png)\n| ![c](docs/screenshots/main-window.png) |';
    expect(screenshotsNamed(readme)).toEqual(['main-window.png', 'error-ja.png']);
    // The project's own README names pictures, all of them made by the e2e specs.
    expect(screenshotsNamed(await readFile('README.md', 'utf8')).length).toBeGreaterThan(10);
  });

  it("copies what the run made over the old pictures and names what it did not make", async () => {
    const [from, to] = [join(dir, 'from'), join(dir, 'to')];
    await mkdir(from);
    await mkdir(to);
    await writeFile(join(from, 'a.png'), 'new a');
    await writeFile(join(to, 'a.png'), 'old a');
    await writeFile(join(to, 'b.png'), 'old b');
    const r = await copyScreenshots(['a.png', 'b.png'], from, to);
    expect(r).toEqual({ copied: ['a.png'], missing: ['b.png'] });
    expect(await readFile(join(to, 'a.png'), 'utf8')).toBe('new a');
    expect(await readFile(join(to, 'b.png'), 'utf8')).toBe('old b');
  });
});
