/** Log levels, most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The log port. Every implementation must pass its output through redact(). */
export interface Log {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // imageio ticket ids are the bearer secret of a transfer: hide them in any URL path.
  [/(\/images\/)[^/?\s"']+/g, '$1<ticket>'],
  [/(Bearer\s+)[^\s"',]+/gi, '$1<token>'],
  [/("?(?:access_token|password|passwd|signed_ticket|token|ticket|authorization)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1<redacted>'],
  [/(password=)[^&\s]+/gi, '$1<redacted>'],
];

/** Removes secrets (tokens, passwords, ticket ids in URLs, signed tickets) from a string. */
export function redact(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) if (secret.length >= 4) out = out.split(secret).join('<redacted>');
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  return out;
}

/** A log that writes redacted JSON lines (or plain lines) to a sink. */
export function createLog(options: {
  level?: LogLevel;
  write: (line: string) => void;
  json?: boolean;
  secrets?: () => readonly string[];
  now?: () => number;
}): Log {
  const order: LogLevel[] = ['error', 'warn', 'info', 'debug'];
  const max = order.indexOf(options.level ?? 'info');
  const now = options.now ?? Date.now;
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) > max) return;
    const secrets = options.secrets?.() ?? [];
    const body = options.json
      ? JSON.stringify({ time: new Date(now()).toISOString(), level, message, ...fields })
      : `${new Date(now()).toISOString()} ${level.toUpperCase()} ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`;
    options.write(redact(body, secrets));
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}

/** A log that drops everything. */
export const silentLog: Log = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
