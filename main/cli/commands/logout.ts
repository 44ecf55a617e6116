import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';

/**
 * `diskferry logout [--profile NAME | --all]`: ends the engine session `login` kept (SSO logout on the
 * engine) and deletes its token from the keychain or the sessions file. The profile stays: the next
 * command asks for the password. Exit code 1 when the engine could not be told (the token is deleted
 * here all the same, and the engine ends the session once it idles out).
 */
export async function runLogout(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { all: { type: 'boolean' } });
  ctx.applyGlobals(values);
  if (positionals.length > 0) throw new UsageError(`'logout' takes no arguments (got ${positionals.join(' ')}); name the profile with --profile NAME.`);
  if (values.all && values.profile) throw new UsageError('Give --profile NAME or --all, not both.');
  const { profiles, defaultProfile } = await ctx.profiles.list();
  const names = values.all ? (await ctx.sessions.list()).map((s) => s.profile) : [values.profile ?? defaultProfile];
  if (names[0] === null) throw new UsageError('No default engine profile: give --profile NAME or --all (diskferry profiles lists them).');
  let failed = 0;
  for (const name of names as string[]) {
    const profile = profiles.find((p) => p.name === name);
    if (!profile) {
      // A session of a profile that is gone: nothing to reach the engine with, so it is only deleted.
      if (!(await ctx.sessions.forget(name)) && !values.all) throw new UsageError(`No engine profile named '${name}'. See them with diskferry profiles.`);
      continue;
    }
    const { kept, error } = await ctx.endKeptSession(values, profile);
    if (error) failed++;
    const text = !kept
      ? `No engine session is kept for profile '${name}'; nothing to end.`
      : error
        ? `Deleted the engine session kept for profile '${name}', but the engine could not be told to end it: ${error}`
        : `Logged out of ${profile.engineUrl} (profile '${name}'): the engine ended the session and its token was deleted. The next command asks for the password.`;
    ctx.result(text, { profile: name, engine_url: profile.engineUrl, session_kept: kept, revoked: kept && !error, ...(error ? { error } : {}) });
  }
  if (values.all && names.length === 0) ctx.result('No engine session is kept; nothing to end.', { profile: null, session_kept: false, revoked: false });
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}
