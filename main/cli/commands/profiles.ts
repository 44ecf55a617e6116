import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import { table } from '../table.js';

/** `diskferry profiles [list]` and `diskferry profiles remove NAME…`. */
export async function runProfiles(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args[0] === 'list' || args[0] === 'remove' ? args : ['list', ...args];
  const { values, positionals } = parseCommand(rest, {});
  ctx.applyGlobals(values);
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError(`Unknown profiles command '${positionals[0]}'. Use: diskferry profiles [list] | remove NAME…`);
    return listProfiles(ctx);
  }
  if (positionals.length === 0) throw new UsageError('Name the profiles to remove: diskferry profiles remove NAME… (diskferry profiles lists them).');
  return removeProfiles(ctx, values, positionals);
}

/** The profiles: engine, user, which is the default, and whether a session is kept (and where). */
async function listProfiles(ctx: CliContext): Promise<number> {
  const [{ profiles, defaultProfile }, sessions] = await Promise.all([ctx.profiles.list(), ctx.sessions.list()]);
  const rows = profiles.map((p) => {
    const s = sessions.find((x) => x.profile === p.name) ?? null;
    return { p, s, isDefault: p.name === defaultProfile };
  });
  if (ctx.json) {
    for (const { p, s, isDefault } of rows)
      ctx.io.stdout.write(
        JSON.stringify({
          profile: p.name,
          engine_url: p.engineUrl,
          username: p.username,
          default: isDefault,
          ca_fingerprint: p.caFingerprint,
          session_kept: s ? s.where : null,
          session_expires_at: s?.expiresAt ? new Date(s.expiresAt).toISOString() : null,
        }) + '\n',
      );
    return EXIT_OK;
  }
  if (rows.length === 0) {
    ctx.io.stdout.write('No engine profiles yet: diskferry login --engine URL --username USER@PROFILE saves one.\n');
    return EXIT_OK;
  }
  const session = (s: (typeof rows)[number]['s']) => (s === null ? '-' : `kept (${s.where})${s.expiresAt ? ` until ${new Date(s.expiresAt).toLocaleString()}` : ''}`);
  ctx.io.stdout.write(table(['PROFILE', 'ENGINE', 'USER', 'DEFAULT', 'SESSION'], rows.map(({ p, s, isDefault }) => [p.name, p.engineUrl, p.username, isDefault ? '*' : '', session(s)])) + '\n');
  return EXIT_OK;
}

/** Removes profiles, ending the session each kept first (on the engine, and its token here). */
async function removeProfiles(ctx: CliContext, values: Parameters<CliContext['endKeptSession']>[0], names: readonly string[]): Promise<number> {
  const { profiles, defaultProfile } = await ctx.profiles.list();
  const unknown = names.filter((n) => !profiles.some((p) => p.name === n));
  // Nothing is removed when one name is wrong: a typo does not leave half the work done.
  if (unknown.length > 0) throw new UsageError(`No engine profile named ${unknown.map((n) => `'${n}'`).join(', ')}; nothing was removed. See them with diskferry profiles.`);
  let failed = 0;
  for (const name of names) {
    const { kept, error } = await ctx.endKeptSession(values, profiles.find((p) => p.name === name)!);
    if (error) failed++;
    await ctx.profiles.remove(name);
    const note = error ? ` Its kept session was deleted here, but the engine could not be told to end it: ${error}` : kept ? ' Its engine session was ended.' : '';
    const wasDefault = name === defaultProfile ? ' It was the default: give --profile NAME to the next commands, or log in again.' : '';
    ctx.result(`Removed profile '${name}'.${note}${wasDefault}`, { profile: name, removed: true, session_ended: kept && !error, was_default: name === defaultProfile, ...(error ? { error } : {}) });
  }
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
