/** Which frames may call the IPC handlers: only our own window's top frame, by its URL's origin. */

/** `scheme://host` of a URL (also for custom schemes, whose WHATWG `origin` is "null"); null when unparsable. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/**
 * True when the frame URL belongs to one of the allowed origins (`app://diskferry`, a dev server).
 * A URL with user info (`app://x@diskferry/`) is never one of ours.
 */
export function isTrustedFrameUrl(frameUrl: string | null | undefined, allowedOrigins: readonly string[]): boolean {
  if (!frameUrl) return false;
  let u: URL;
  try {
    u = new URL(frameUrl);
  } catch {
    return false;
  }
  if (u.username !== '' || u.password !== '') return false;
  return allowedOrigins.includes(`${u.protocol}//${u.host}`);
}
