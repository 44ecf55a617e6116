/**
 * Request routing: SSO, pki-resource, the simulator admin endpoint and the authenticated /api tree
 * (reachable as /ovirt-engine/api/... and /ovirt-engine/api/v4/...).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { handleAdmin } from './admin.js';
import type { EngineContext } from './context.js';
import { addDisk, deleteDisk, getDisk, listDisks } from './disks.js';
import {
  ApiError,
  readJsonObject,
  sendEmpty,
  sendError,
  sendJson,
  sendText,
  type ApiRequest,
  type Reply,
} from './http-util.js';
import { authenticate, handleLogout, handleTokenRequest, sendUnauthorized } from './sso.js';
import {
  apiRoot,
  getDataCenter,
  getDataCenterDomain,
  getHost,
  getStorageDomain,
  listDataCenterDomains,
  listDataCenters,
  listDomainDisks,
  listHosts,
  listStorageDomains,
} from './storage-domains.js';
import { addTransfer, getTransfer, listTransfers, transferAction } from './transfers.js';
import { addVmDiskAttachment, getVm, listVmDiskAttachments, listVms } from './vms.js';
import { finalizeBackup, getBackup, listBackupDisks, listBackups, startBackup } from './backups.js';
import { deleteCheckpoint, getCheckpoint, listCheckpointDisks, listCheckpoints } from './checkpoints.js';
import { addSnapshot, deleteSnapshot, getSnapshot, listDiskSnapshots, listSnapshotDisks, listSnapshots } from './snapshots.js';
import { versionAtLeast, type EngineVersion } from './model.js';
import { errorMessage } from '../../engine/errors.js';

type ApiHandler = (ctx: EngineContext, r: ApiRequest) => Reply | Promise<Reply>;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: ApiHandler;
  /** The first engine version that has it. */
  readonly since: EngineVersion;
}

function route(method: string, path: string, handler: ApiHandler, since: EngineVersion = '4.1'): Route {
  return { method, segments: path === '' ? [] : path.split('/'), handler, since };
}

const ROUTES: readonly Route[] = [
  route('GET', '', (ctx) => apiRoot(ctx)),
  route('GET', 'storagedomains', listStorageDomains),
  route('GET', 'storagedomains/:id', getStorageDomain),
  route('GET', 'storagedomains/:id/disks', listDomainDisks),
  route('GET', 'datacenters', listDataCenters),
  route('GET', 'datacenters/:id', getDataCenter),
  route('GET', 'datacenters/:id/storagedomains', listDataCenterDomains),
  route('GET', 'datacenters/:id/storagedomains/:sd', getDataCenterDomain),
  route('GET', 'hosts', listHosts),
  route('GET', 'hosts/:id', getHost),
  route('GET', 'disks', listDisks),
  route('POST', 'disks', addDisk),
  route('GET', 'disks/:id', getDisk),
  route('DELETE', 'disks/:id', deleteDisk),
  route('GET', 'vms', listVms),
  route('GET', 'vms/:id', getVm),
  route('GET', 'vms/:id/diskattachments', listVmDiskAttachments),
  route('POST', 'vms/:id/diskattachments', addVmDiskAttachment),
  route('GET', 'vms/:id/snapshots', listSnapshots),
  route('POST', 'vms/:id/snapshots', addSnapshot),
  route('GET', 'vms/:id/snapshots/:s', getSnapshot),
  route('DELETE', 'vms/:id/snapshots/:s', deleteSnapshot),
  route('GET', 'vms/:id/snapshots/:s/disks', listSnapshotDisks),
  route('GET', 'disks/:id/disksnapshots', listDiskSnapshots, '4.4'),
  // The backup API came as a tech preview in 4.3; checkpoints with 4.4.
  route('GET', 'vms/:id/backups', listBackups, '4.3'),
  route('POST', 'vms/:id/backups', startBackup, '4.3'),
  route('GET', 'vms/:id/backups/:b', getBackup, '4.3'),
  route('GET', 'vms/:id/backups/:b/disks', listBackupDisks, '4.3'),
  route('POST', 'vms/:id/backups/:b/finalize', finalizeBackup, '4.3'),
  route('GET', 'vms/:id/checkpoints', listCheckpoints, '4.4'),
  route('GET', 'vms/:id/checkpoints/:c', getCheckpoint, '4.4'),
  route('DELETE', 'vms/:id/checkpoints/:c', deleteCheckpoint, '4.4'),
  route('GET', 'vms/:id/checkpoints/:c/disks', listCheckpointDisks, '4.4'),
  route('GET', 'imagetransfers', (ctx) => listTransfers(ctx)),
  route('POST', 'imagetransfers', addTransfer),
  route('GET', 'imagetransfers/:id', getTransfer),
  route('POST', 'imagetransfers/:id/:action', transferAction),
];

/** Matches a path (segments after /api) against a route; returns its parameters. */
function match(r: Route, segments: readonly string[]): Record<string, string> | null {
  if (r.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = r.segments[i]!;
    const got = segments[i]!;
    if (want.startsWith(':')) params[want.slice(1)] = got;
    else if (want !== got) return null;
  }
  return params;
}

const API_PATH = /^\/ovirt-engine\/api(?:\/v4)?(?:\/(.*))?$/;

async function handleApi(ctx: EngineContext, req: IncomingMessage, res: ServerResponse, url: URL, rest: string): Promise<void> {
  const version = req.headers['version'];
  if (version !== undefined && version !== '4') {
    return sendJson(res, 400, { reason: 'Operation Failed', detail: `Version ${String(version)} is not supported` });
  }
  if (!authenticate(ctx, req)) return sendUnauthorized(res);
  const segments = rest.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  const candidates = ROUTES.filter((r) => versionAtLeast(ctx.version, r.since))
    .map((r) => ({ r, params: match(r, segments) }))
    .filter((c) => c.params !== null);
  if (candidates.length === 0) return sendEmpty(res, 404);
  const hit = candidates.find((c) => c.r.method === req.method);
  if (!hit) return sendEmpty(res, 405, { allow: candidates.map((c) => c.r.method).join(', ') });
  const apiRequest: ApiRequest = {
    method: req.method ?? 'GET',
    params: hit.params!,
    query: url.searchParams,
    headers: req.headers,
    json: () => readJsonObject(req),
  };
  const reply = await hit.r.handler(ctx, apiRequest);
  if (reply.body === null || reply.body === undefined) return sendEmpty(res, reply.status, reply.headers);
  sendJson(res, reply.status, reply.body, reply.headers);
}

const PKI_RESOURCES = new Set(['ca-certificate', 'engine-certificate']);
const PKI_FORMATS: Readonly<Record<string, string>> = { 'X509-PEM-CA': 'application/x-x509-ca-cert', 'X509-PEM': 'application/x-x509-cert' };

/** GET /ovirt-engine/services/pki-resource (no auth). */
function handlePki(ctx: EngineContext, res: ServerResponse, url: URL): void {
  const resource = url.searchParams.get('resource') ?? '';
  const format = url.searchParams.get('format') ?? '';
  const type = PKI_FORMATS[format];
  if (!PKI_RESOURCES.has(resource) || !type) return sendText(res, 400, 'text/html;charset=utf-8', '<html><body>Bad Request</body></html>');
  sendText(res, 200, type, resource === 'ca-certificate' ? ctx.caPem : ctx.certPem);
}

function methodNotAllowed(res: ServerResponse): void {
  sendText(res, 405, 'text/html;charset=utf-8', '<html><body>Method Not Allowed</body></html>');
}

/** Routes one HTTP request; never throws. */
export async function handleRequest(ctx: EngineContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/ovirt-engine/__simulator/')) return await handleAdmin(ctx, req, res, path.slice('/ovirt-engine/__simulator/'.length));
    if (ctx.faults.engineLatencyMs > 0) await delay(ctx.faults.engineLatencyMs);
    if (ctx.faults.engineUnavailable) {
      return sendText(res, 503, 'text/html;charset=utf-8', '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>', { connection: 'close' });
    }
    if (path === '/ovirt-engine/sso/oauth/token') return req.method === 'POST' ? await handleTokenRequest(ctx, req, res, url) : methodNotAllowed(res);
    if (path === '/ovirt-engine/services/sso-logout') return req.method === 'POST' ? await handleLogout(ctx, req, res, url) : methodNotAllowed(res);
    if (path === '/ovirt-engine/services/pki-resource') return req.method === 'GET' ? handlePki(ctx, res, url) : methodNotAllowed(res);
    const api = API_PATH.exec(path);
    if (api) return await handleApi(ctx, req, res, url, api[1] ?? '');
    sendText(res, 404, 'text/html;charset=utf-8', '<html><body>Not Found</body></html>');
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) return sendError(res, err);
    sendJson(res, 500, { reason: 'Operation Failed', detail: errorMessage(err) });
  }
}
