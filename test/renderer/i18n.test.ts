import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en, type Strings } from '../../renderer/i18n/en.js';
import { ja } from '../../renderer/i18n/ja.js';
import { intlLocale, resolveLanguage } from '../../renderer/i18n/language.js';

/** Every leaf key, plural suffixes folded (`x_one`/`x_other` → `x`). */
function keys(table: Strings, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(table)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.add(key.replace(/_(zero|one|two|few|many|other)$/, ''));
    else for (const sub of keys(v, key)) out.add(sub);
  }
  return out;
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(p)));
    else if (/\.tsx?$/.test(entry.name) && !p.includes('/i18n/')) out.push(p);
  }
  return out;
}

describe('translations', () => {
  it('has the same keys in English and Japanese', () => {
    const e = keys(en);
    const j = keys(ja);
    expect([...e].filter((k) => !j.has(k))).toEqual([]);
    expect([...j].filter((k) => !e.has(k))).toEqual([]);
  });

  it('has every literal key the window uses', async () => {
    const known = keys(en);
    const used = new Set<string>();
    for (const file of await sources(new URL('../../renderer', import.meta.url).pathname)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/\bt\('([a-zA-Z]+\.[\w.-]+)'/g)) used.add(m[1]!);
      for (const m of text.matchAll(/key: '([a-zA-Z]+\.[\w.-]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
  });

  it('keeps the same placeholders in both languages', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+(?:, \w+)?)\}\}/g)].map((m) => m[1]).sort();
    const leaves = (table: Strings, prefix = ''): [string, string][] =>
      Object.entries(table).flatMap(([k, v]) => (typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v, `${prefix}${k}.`)));
    const jaLeaves = new Map(leaves(ja).map(([k, v]) => [k.replace(/_(one|other)$/, ''), v]));
    for (const [k, v] of leaves(en)) {
      const other = jaLeaves.get(k.replace(/_(one|other)$/, ''));
      expect(other, k).toBeDefined();
      expect(placeholders(other!), k).toEqual(placeholders(v));
    }
  });

  it('follows the OS language unless the user chose one', () => {
    expect(resolveLanguage('system', ['ja-JP', 'en-US'])).toBe('ja');
    expect(resolveLanguage('system', ['fr-FR', 'en-GB'])).toBe('en');
    expect(resolveLanguage('system', ['de-DE'])).toBe('en');
    expect(resolveLanguage('ja', ['en-US'])).toBe('ja');
  });

  it('formats in the OS variant of the language shown', () => {
    expect(intlLocale('en', ['en-GB', 'ja'])).toBe('en-GB');
    expect(intlLocale('ja', ['en-GB'])).toBe('ja');
  });
});
