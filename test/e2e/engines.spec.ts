/** First run and adding an engine: the empty state teaches, the CA fingerprint is shown and trusted. */
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { expect, shot, test } from './fixtures.js';

test.describe('first run', () => {
  test.use({ demo: false });

  test('adds the simulator engine after showing and trusting its CA fingerprint', async ({ app, host }) => {
    await expect(app.getByRole('heading', { name: 'Add an engine' })).toBeVisible();
    await expect(app.getByRole('heading', { name: 'Try the demo engine' })).toBeVisible();
    await shot(app, 'first-run');

    await app.getByRole('button', { name: 'Add an engine…' }).click();
    const sheet = app.getByTestId('add-engine');
    await sheet.getByLabel('Engine address').fill(host.sim.engineUrl);
    await sheet.getByLabel('User (user@profile)').fill(host.sim.username);
    await sheet.getByLabel('Password', { exact: true }).fill(host.sim.password);
    await expect(sheet.getByRole('button', { name: 'Test and add' })).toBeDisabled();
    await sheet.getByRole('button', { name: 'Get the certificate' }).click();
    const fingerprint = sheet.getByTestId('ca-fingerprint');
    const normalise = (fp: string) => fp.replace(/[^0-9a-f]/gi, '').toUpperCase();
    await expect(fingerprint).not.toBeEmpty();
    expect(normalise(await fingerprint.innerText())).toBe(normalise(host.sim.caFingerprint));
    await sheet.getByLabel('The fingerprints match: trust this CA').check();
    await shot(sheet, 'add-engine-fingerprint');
    // Testing first saves nothing: the sheet stays and says which engine answered.
    await sheet.getByRole('button', { name: 'Test connection' }).click();
    await expect(sheet.getByTestId('engine-tested')).toContainText('Connected: oVirt 4.5');
    await expect(app.getByTestId('first-run')).toBeVisible();
    await sheet.getByRole('button', { name: 'Test and add' }).click();

    await expect(sheet).toBeHidden();
    await expect(app.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
    await expect(app.getByTestId('domains')).toContainText('data-nfs');
    await expect(app.getByTestId('disks')).toContainText('fedora-40-root');
    // The VM column: the engine says which VM a disk is attached to.
    await expect(app.getByTestId('disks').getByRole('row').filter({ hasText: 'web-01-disk1' })).toContainText('web-01');
    await expect(app.getByTestId('disks').getByRole('row').filter({ hasText: 'vm-running-disk' })).toContainText('app-01');
    await app.getByRole('button', { name: 'Test connection' }).click();
    await expect(app.getByRole('status').filter({ hasText: 'Connected: oVirt 4.5' })).toBeVisible();
  });

  test('adds an engine through an HTTP proxy of its own', async ({ app, host }) => {
    const proxy = await startConnectProxy();
    try {
      await app.getByRole('button', { name: 'Add an engine…' }).click();
      const sheet = app.getByTestId('add-engine');
      await sheet.getByLabel('Engine address').fill(host.sim.engineUrl);
      await sheet.getByLabel('Password', { exact: true }).fill(host.sim.password);
      await sheet.getByTestId('engine-proxy').getByLabel('This HTTP proxy:', { exact: true }).first().check();
      await sheet.getByRole('textbox', { name: 'This HTTP proxy:' }).fill(proxy.url);
      await sheet.getByRole('button', { name: 'Get the certificate' }).click();
      await sheet.getByLabel('The fingerprints match: trust this CA').check();
      await shot(sheet, 'add-engine-proxy');
      await sheet.getByRole('button', { name: 'Test and add' }).click();
      await expect(sheet).toBeHidden();
      await expect(app.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
      expect(proxy.opened()).toBeGreaterThan(0);
      expect(proxy.tunnels.every((t) => t.target.endsWith(`:${new URL(host.sim.engineUrl).port}`))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  test('refuses a wrong password with the engine’s reason and saves nothing', async ({ app, host }) => {
    await app.getByRole('button', { name: 'Add an engine…' }).click();
    const sheet = app.getByTestId('add-engine');
    await sheet.getByLabel('Engine address').fill(host.sim.engineUrl);
    await sheet.getByLabel('Password', { exact: true }).fill('not-the-password');
    await sheet.getByRole('button', { name: 'Get the certificate' }).click();
    await sheet.getByLabel('The fingerprints match: trust this CA').check();
    await sheet.getByRole('button', { name: 'Test connection' }).click();
    await expect(sheet.getByRole('alert')).toBeVisible();
    await expect(sheet.getByTestId('engine-tested')).toHaveCount(0);
    await sheet.getByRole('button', { name: 'Test and add' }).click();
    await expect(sheet.getByRole('alert')).toBeVisible();
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await expect(app.getByTestId('first-run')).toBeVisible();
  });

  test('tries the demo engine from the empty state', async ({ app }) => {
    await app.getByRole('button', { name: 'Try the demo engine' }).click();
    await expect(app.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
    await expect(app.getByTestId('disks')).toContainText('web-01-disk1');
  });
});
