/**
 * `npm run audit`: the production dependencies against the npm advisory database. Fails on a high
 * or critical advisory unless docs/security.md lists its id under "Audit exceptions" with a reason.
 * When the registry's audit endpoint cannot be reached (these build machines answer 405), it says so
 * and exits 0: the check then runs wherever the endpoint answers (a developer's machine, a release
 * build), rather than failing every CI run for a reason outside the code.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

interface AuditVulnerability {
  readonly name: string;
  readonly severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  readonly via: readonly (string | { readonly url?: string; readonly title?: string; readonly source?: number })[];
}

interface AuditReport {
  readonly vulnerabilities?: Readonly<Record<string, AuditVulnerability>>;
  readonly statusCode?: number;
  readonly message?: string;
}

function runAudit(): Promise<string> {
  return new Promise((resolve) => {
    // npm audit exits non-zero when it finds something; the JSON on stdout says what.
    execFile('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_err, stdout) => resolve(stdout));
  });
}

const raw = await runAudit();
let report: AuditReport;
try {
  report = JSON.parse(raw) as AuditReport;
} catch {
  console.warn('audit: npm audit gave no JSON answer; the advisory check was not run here.');
  process.exit(0);
}
if (report.vulnerabilities === undefined) {
  console.warn(`audit: the advisory database could not be reached (${report.message ?? 'no answer'}); the check was not run here.`);
  process.exit(0);
}
const exceptions = (await readFile(new URL('../docs/security.md', import.meta.url), 'utf8')).split('## Audit exceptions')[1] ?? '';
const serious = Object.values(report.vulnerabilities).filter((v) => v.severity === 'high' || v.severity === 'critical');
const unexplained = serious.filter((v) => !v.via.some((x) => typeof x === 'object' && x.url !== undefined && exceptions.includes(x.url.split('/').pop() ?? '\0')));
for (const v of serious) console.log(`audit: ${v.severity} in ${v.name}: ${v.via.map((x) => (typeof x === 'string' ? x : `${x.title ?? ''} ${x.url ?? ''}`)).join('; ')}`);
if (unexplained.length > 0) {
  console.error(`audit: ${unexplained.length} high or critical advisories are not explained in docs/security.md (## Audit exceptions).`);
  process.exit(1);
}
console.log(`audit: no unexplained high or critical advisories in the production dependencies (${serious.length} explained).`);
