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

/** True when the frame URL belongs to one of the allowed origins (`app://diskferry`, a dev server). */
export function isTrustedFrameUrl(frameUrl: string | null | undefined, allowedOrigins: readonly string[]): boolean {
  if (!frameUrl) return false;
  const origin = originOf(frameUrl);
  return origin !== null && allowedOrigins.includes(origin);
}
