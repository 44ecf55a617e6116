import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createPki } from '../../../main/simulator/pki.js';
import { ImageStore, type SimImage } from '../../../main/simulator/image-store.js';
import { noFaults, type FaultSettings } from '../../../main/simulator/faults.js';
import { startImageioServer, type ImageioPersonality, type ImageioServer, type ImageioTiming } from '../../../main/simulator/imageio/server.js';

/** A ticket on the simulated daemon (and the proxy in front of it), with its volume. */
export interface SimTicket {
  readonly ticketId: string;
  readonly image: SimImage;
  readonly transferUrl: string;
  readonly proxyUrl: string;
}

/** A daemon + proxy pair of simulated imageio servers over TLS, sharing one image store and faults. */
export interface ImageioFixture {
  readonly caPem: string;
  readonly faults: FaultSettings;
  readonly images: ImageStore;
  readonly daemon: ImageioServer;
  readonly proxy: ImageioServer;
  addTicket(size: number, ops?: Array<'read' | 'write'>, options?: { inactivityTimeout?: number }): Promise<SimTicket>;
  close(): Promise<void>;
}

/** Starts the fixture; personalities default to modern imageio. */
export async function startImageioFixture(
  options: { daemon?: ImageioPersonality; proxy?: ImageioPersonality; timing?: Partial<ImageioTiming> } = {},
): Promise<ImageioFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'diskferry-imageio-'));
  const pki = await createPki();
  const images = new ImageStore(join(dir, 'images'));
  const faults = noFaults();
  const common = { tls: pki.server, images, faults, ...(options.timing ? { timing: options.timing } : {}) };
  const daemon = await startImageioServer({ role: 'daemon', ...common, ...(options.daemon ? { personality: options.daemon } : {}) });
  const proxy = await startImageioServer({ role: 'proxy', ...common, upstream: daemon, ...(options.proxy ? { personality: options.proxy } : {}) });
  return {
    caPem: pki.caPem,
    faults,
    images,
    daemon,
    proxy,
    async addTicket(size, ops = ['write'], ticketOptions = {}) {
      const volumeId = randomUUID();
      const ticketId = randomUUID();
      const image = await images.create(volumeId, size);
      const spec = { uuid: ticketId, size, ops, timeout: 300, inactivity_timeout: ticketOptions.inactivityTimeout ?? 60, sparse: true };
      daemon.tickets.add({ ...spec, url: `nbd:sim:${volumeId}` });
      // The engine gives the proxy a ticket with the same id pointing at the daemon.
      proxy.tickets.add({ ...spec, url: daemon.imageUrl(ticketId) });
      return { ticketId, image, transferUrl: daemon.imageUrl(ticketId), proxyUrl: proxy.imageUrl(ticketId) };
    },
    async close() {
      await Promise.all([proxy.close(), daemon.close()]);
      await images.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
