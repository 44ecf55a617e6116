/**
 * Local paths out of a drop. The host knows a dropped File's path (Electron); where it cannot
 * (a browser page on the web host) a `text/uri-list` of `file://` URLs — what Linux file managers
 * also offer — still names the files. Pure parts are tested.
 */

/** The absolute paths of the `file://` URLs in a `text/uri-list` (comments and other schemes skipped). */
export function pathsFromUriList(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      continue;
    }
    if (url.protocol !== 'file:') continue;
    const path = decodeURIComponent(url.pathname);
    // file:///C:/x → C:/x on Windows; a host part (file://server/share) becomes a UNC path.
    const windows = /^\/[A-Za-z]:\//.test(path);
    if (url.host !== '' && url.host !== 'localhost') paths.push(`//${url.host}${path}`);
    else paths.push(windows ? path.slice(1) : path);
  }
  return paths;
}

/** Paths typed one per line (blank lines and surrounding quotes dropped, duplicates removed). */
export function pathsFromText(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^(['"])(.*)\1$/, '$2');
    if (line !== '') seen.add(line);
  }
  return [...seen];
}

/** The file name at the end of a path (either separator). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** Minimal view of a drop's data, so the logic runs without a DOM. */
export interface DropData<F extends { readonly name: string }> {
  readonly files: readonly F[];
  getData(format: string): string;
}

/** Every path a drop names: each File the host can locate, else the uri-list. Unique, in order. */
export function pathsFromDrop<F extends { readonly name: string }>(data: DropData<F>, pathForFile: (file: F) => string | null): { readonly paths: string[]; readonly unlocated: string[] } {
  const paths: string[] = [];
  const unlocated: string[] = [];
  for (const file of data.files) {
    const path = pathForFile(file);
    if (path) paths.push(path);
    else unlocated.push(file.name);
  }
  const fromUris = pathsFromUriList(data.getData('text/uri-list'));
  for (const p of fromUris) if (!paths.includes(p)) paths.push(p);
  // Files the uri-list named are located after all.
  const located = new Set(fromUris.map(baseName));
  return { paths, unlocated: unlocated.filter((n) => !located.has(n)) };
}
