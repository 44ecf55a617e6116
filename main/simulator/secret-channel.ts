/**
 * Every secret the simulator issues or accepts (passwords, Basic credentials, access tokens, ticket
 * ids, signed tickets, transfer and proxy URLs) is published on one `node:diagnostics_channel`
 * channel, so a test run can list them and search its own output for leaks (the secret ledger of
 * test/simulator/secret-ledger.ts subscribes). Publishing costs nothing while nobody subscribes,
 * and the simulator never learns who listens: the hook is injected by subscribing, not by import.
 */
import { channel } from 'node:diagnostics_channel';

/** The channel's name, for `diagnostics_channel.subscribe`. */
export const SECRET_CHANNEL = 'diskferry:simulator:secret';

/** What kind of secret a message carries. */
export type SecretKind = 'password' | 'basic-credentials' | 'access-token' | 'ticket-id' | 'signed-ticket' | 'transfer-url' | 'proxy-url';

/** One message on the channel. */
export interface SecretMessage {
  readonly kind: SecretKind;
  readonly value: string;
}

const secrets = channel(SECRET_CHANNEL);

/** Publishes a secret the simulator has just issued or accepted (empty values are not secrets). */
export function publishSecret(kind: SecretKind, value: string): void {
  if (value === '' || !secrets.hasSubscribers) return;
  secrets.publish({ kind, value } satisfies SecretMessage);
}
