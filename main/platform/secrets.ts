/** Saved passwords, encrypted with the OS keychain through safeStorage; never plain text. */
import { safeStorage } from 'electron';
import type { SecretCipher } from '../app/ports.js';

/** safeStorage as the core's cipher. On Linux without a keyring ("basic_text") it counts as unavailable. */
export function safeStorageCipher(platform: NodeJS.Platform = process.platform): SecretCipher {
  const available = () => safeStorage.isEncryptionAvailable() && (platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  return {
    isAvailable: available,
    encrypt: (plain) => {
      if (!available()) return Promise.reject(new Error('no OS keychain is available'));
      return Promise.resolve(safeStorage.encryptString(plain).toString('base64'));
    },
    decrypt: (cipher) => Promise.resolve(safeStorage.decryptString(Buffer.from(cipher, 'base64'))),
  };
}
