import { DiskFerryError } from '../../engine/errors.js';
import { OvirtClient } from '../../engine/ovirt/client.js';
import { engineBaseUrl } from '../../engine/ovirt/urls.js';
import { fetchEngineCa } from '../../engine/trust/engine-ca.js';
import { certificateFingerprint, splitPemBundle } from '../../engine/trust/tls.js';
import { parseCommand, required } from '../args.js';
import { readCaFile, type CliContext } from '../context.js';
import { confirm, readPassword } from '../password.js';
import { UsageError } from '../errors.js';

/**
 * `diskferry login`: saves an engine profile after checking the password. Without --ca-file it fetches
 * the engine CA, shows its SHA-256 fingerprint and asks before trusting it (or takes
 * --trust-fingerprint). The password is never stored; the engine session is kept (sessions.ts).
 * `login --profile NAME` logs in again with a saved profile: its engine, user and the CA it trusts
 * (what to do when the kept session has ended), asking only for the password.
 */
export async function runLogin(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { 'trust-fingerprint': { type: 'string' }, name: { type: 'string' } });
  ctx.applyGlobals(values);
  const again = values.profile === undefined ? null : await ctx.profiles.get(values.profile);
  if (values.profile !== undefined && !again) throw new UsageError(`There is no profile '${values.profile}'. List them with diskferry profiles, or log in with --engine URL --username USER@PROFILE.`);
  const engineUrl = normalizeEngineUrl(required(values.engine ?? again?.engineUrl, '--engine URL'));
  const username = required(values.username ?? again?.username, '--username USER@PROFILE');
  if (!username.includes('@')) throw new UsageError(`--username must be USER@PROFILE (for example admin@internal), not '${username}'.`);
  // The same engine as the profile's: the CA it trusts is trusted still (a new one is asked about).
  const trusted = again && again.engineUrl === engineUrl && again.caPem !== null && !values['ca-file'] && !values['trust-fingerprint'] ? again.caPem : null;

  let caPem: string;
  if (values['ca-file']) {
    caPem = await readCaFile(values['ca-file']);
  } else if (trusted !== null) {
    caPem = trusted;
  } else {
    const ca = await fetchEngineCa(engineUrl, { proxy: ctx.proxy });
    const wanted = values['trust-fingerprint'];
    ctx.io.stderr.write(`The engine's CA certificate:\n  subject:     ${ca.subject}\n  valid until: ${new Date(ca.notAfter).toISOString()}\n  SHA-256:     ${ca.fingerprint}\n`);
    if (wanted) {
      if (normalizeFingerprint(wanted) !== normalizeFingerprint(ca.fingerprint))
        throw new UsageError(`The engine's CA fingerprint is ${ca.fingerprint}, not the ${wanted} you gave. Nothing was saved.`);
    } else if (!process.stdin.isTTY) {
      throw new UsageError('There is no terminal to ask whether to trust this CA; nothing was saved. Compare the fingerprint with your engine and pass --trust-fingerprint FP, or pass --ca-file F.');
    } else if (!(await confirm('Trust this certificate for this engine and its hosts?'))) {
      throw new UsageError('The CA was not trusted; nothing was saved. Compare the fingerprint with your engine (or pass --trust-fingerprint FP).');
    }
    caPem = ca.pem;
  }
  const fingerprint = certificateFingerprint(splitPemBundle(caPem)[0]!);
  const trust = { caPem: [caPem], systemTrust: values['system-trust'] ?? again?.systemTrust ?? false };
  const password = await readPassword({ passwordFile: values['password-file'], prompt: `Password for ${username}: ` });
  const client = new OvirtClient({ engineUrl, username, password: () => password, trust, log: ctx.log, proxy: ctx.proxy });
  await client.login();
  const version = await client.version().catch(async (err: unknown) => {
    await client.logout();
    throw err;
  });
  const name = values.name ?? again?.name ?? new URL(engineUrl).host;
  const profile = { name, engineUrl, username, caPem, caFingerprint: fingerprint, systemTrust: trust.systemTrust };
  // A session kept by an earlier login of this profile is ended, not left open beside the new one.
  const previous = await ctx.profiles.get(name);
  if (previous) await ctx.endKeptSession(values, previous);
  await ctx.profiles.save(profile);
  // The session stays open for the next commands: its token (never the password) is kept.
  const session = client.session();
  await client.close();
  const where = session ? await ctx.sessions.save({ profile: name, engineUrl, username, token: session }) : null;
  const kept = where
    ? ` The engine session is kept in ${ctx.sessions.describe(where)}: commands use it without asking for the password while it lasts (the engine ends sessions idle for 30 minutes, by default); diskferry logout ends it.`
    : '';
  ctx.result(`Logged in to ${engineUrl} (oVirt ${version.full}) as ${username}. Saved as profile '${name}' (the password is not stored).${kept}`, {
    profile: name,
    engine_url: engineUrl,
    username,
    version: version.full,
    ca_fingerprint: fingerprint,
    session_kept: where,
  });
  return 0;
}

/**
 * The `…/ovirt-engine` base of what was given to --engine, normalised by the engine's own rule (the
 * portal or the API address); a bare host name means https. A wrong address is a usage error.
 */
function normalizeEngineUrl(text: string): string {
  const input = /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()) ? text.trim() : `https://${text.trim()}`;
  try {
    return engineBaseUrl(input).href;
  } catch (err) {
    if (err instanceof DiskFerryError && err.code === 'bad-input') throw new UsageError(err.message);
    throw err;
  }
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-f]/gi, '').toUpperCase();
}
