/**
 * Plain-Node ports for hosts without Electron (the web host, tests): JSON documents in a folder, and
 * a cipher that keeps passwords in process memory only (so nothing survives a restart and nothing
 * is ever written in plain text).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../engine/errors.js';
import { removeStaleTemps, writeFileAtomic } from '../engine/fs/atomic.js';
import type { DocumentName, DocumentStore, SecretCipher } from './ports.js';

/** One `<name>.json` file per document, written atomically, readable only by the user. */
export class JsonFileStore implements DocumentStore {
  constructor(private readonly dir: string) {}

  async read(name: DocumentName): Promise<unknown> {
    // A save cut short by a kill leaves its temporary file beside the document; one a minute old is no save in flight.
    await removeStaleTemps(join(this.dir, `${name}.json`), 60_000);
    try {
      return JSON.parse(await readFile(join(this.dir, `${name}.json`), 'utf8')) as unknown;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      // A damaged file reads as garbage; the services report it and start over.
      return { unreadable: true };
    }
  }

  async write(name: DocumentName, value: unknown): Promise<void> {
    await writeFileAtomic(join(this.dir, `${name}.json`), JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  }
}

/** Documents in memory (tests). */
export class MemoryStore implements DocumentStore {
  readonly documents = new Map<DocumentName, unknown>();

  read(name: DocumentName): Promise<unknown> {
    return Promise.resolve(structuredClone(this.documents.get(name)));
  }

  write(name: DocumentName, value: unknown): Promise<void> {
    this.documents.set(name, structuredClone(value));
    return Promise.resolve();
  }
}

/** Hands out opaque handles for passwords held in this process only; a restart forgets them. */
export class MemoryCipher implements SecretCipher {
  private readonly secrets = new Map<string, string>();

  isAvailable(): boolean {
    return true;
  }

  encrypt(plain: string): Promise<string> {
    const handle = `mem:${randomBytes(12).toString('hex')}`;
    this.secrets.set(handle, plain);
    return Promise.resolve(handle);
  }

  decrypt(cipher: string): Promise<string> {
    const plain = this.secrets.get(cipher);
    return plain === undefined ? Promise.reject(new Error('the password was kept in memory by an earlier run')) : Promise.resolve(plain);
  }
}
