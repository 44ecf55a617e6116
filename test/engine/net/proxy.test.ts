import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { bypassesProxy, describeProxy, envProxyResolver, parseProxyUrl, proxyFromPac, proxyResolverFor } from '../../../main/engine/net/proxy.js';

const u = (s: string) => new URL(s);

describe('NO_PROXY', () => {
  it.each([
    ['engine.example.com', 'https://engine.example.com/', true],
    ['example.com', 'https://engine.example.com/', true],
    ['.example.com', 'https://engine.example.com/', true],
    ['*.example.com', 'https://engine.example.com/', true],
    ['example.com', 'https://badexample.com/', false],
    ['example.com:54322', 'https://host.example.com:54322/', true],
    ['example.com:54322', 'https://host.example.com:443/', false],
    ['*', 'https://anything/', true],
    ['10.0.0.0/8, 192.168.1.5', 'https://10.1.2.3:54322/', true],
    ['10.0.0.0/8, 192.168.1.5', 'https://192.168.1.5/', true],
    ['10.0.0.0/8, 192.168.1.5', 'https://192.168.1.6/', false],
    ['::1', 'https://[::1]:8443/', true],
    ['[::1]:8443', 'https://[::1]:8443/', true],
    ['[::1]:8443', 'https://[::1]:9443/', false],
    ['fd00::/8', 'https://[fd12::5]/', true],
    ['127.0.0.1', 'https://localhost/', false],
    ['', 'https://engine/', false],
  ])('%j for %s: %s', (list, url, bypass) => {
    expect(bypassesProxy(list, u(url))).toBe(bypass);
  });
});

describe('the environment', () => {
  it('reads https_proxy before HTTPS_PROXY, then ALL_PROXY; never HTTP_PROXY', async () => {
    expect((await envProxyResolver({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' })(u('https://e/')))?.host).toBe('a:1');
    expect((await envProxyResolver({ HTTPS_PROXY: 'b:2' })(u('https://e/')))?.href).toBe('http://b:2/');
    expect((await envProxyResolver({ ALL_PROXY: 'http://c:3' })(u('https://e/')))?.host).toBe('c:3');
    expect(await envProxyResolver({ HTTP_PROXY: 'http://d:4' })(u('https://e/'))).toBeNull();
    expect(await envProxyResolver({ HTTPS_PROXY: ' ' })(u('https://e/'))).toBeNull();
  });

  it('honours no_proxy and NO_PROXY', async () => {
    expect(await envProxyResolver({ HTTPS_PROXY: 'http://p:3128', no_proxy: 'e' })(u('https://e/'))).toBeNull();
    expect(await envProxyResolver({ HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'other' })(u('https://e/'))).not.toBeNull();
  });

  it('a malformed proxy fails the connection with the variable named', async () => {
    const resolve = envProxyResolver({ HTTPS_PROXY: 'socks5://p:1080' });
    await expect(async () => resolve(u('https://e/'))).rejects.toThrow(/HTTPS_PROXY uses socks5:\/\/.*HTTP proxies \(CONNECT\) only/);
  });
});

describe('proxy addresses', () => {
  it('an address must name its port; one with a path is refused', () => {
    expect(() => parseProxyUrl('http://proxy', 'X')).toThrow(/has no port/);
    expect(parseProxyUrl('http://proxy:80', 'X').host).toBe('proxy');
    expect(parseProxyUrl('[fd00::1]:3128', 'X').hostname).toBe('[fd00::1]');
    expect(() => parseProxyUrl('http://proxy:3128/path', 'X')).toThrow(DiskFerryError);
    expect(() => parseProxyUrl('https://proxy:3128', 'X')).toThrow(/HTTP proxies \(CONNECT\) only/);
  });

  it('is shown without its credentials', () => {
    expect(describeProxy(parseProxyUrl('http://me:secret@proxy:3128', 'X'))).toBe('http://proxy:3128');
  });
});

describe("Electron's answers (PAC format)", () => {
  it('takes the first entry DiskFerry can use', () => {
    expect(proxyFromPac('DIRECT')).toBeNull();
    expect(proxyFromPac('PROXY proxy.corp:3128; DIRECT')?.href).toBe('http://proxy.corp:3128/');
    expect(proxyFromPac('SOCKS5 s:1080; PROXY p:8080')?.host).toBe('p:8080');
    expect(proxyFromPac('PROXY [fd00::1]:3128')?.hostname).toBe('[fd00::1]');
    expect(proxyFromPac('')).toBeNull();
  });

  it('only SOCKS or HTTPS proxies: an error that says what to set', () => {
    expect(() => proxyFromPac('SOCKS5 s:1080; HTTPS h:443')).toThrow(/only SOCKS5 and HTTPS proxies.*No proxy/);
  });
});

describe("a profile's setting", () => {
  const system = () => u('http://system:1');
  it('system, none or an address', async () => {
    expect((await proxyResolverFor('system', system)(u('https://e/')))?.host).toBe('system:1');
    expect(await proxyResolverFor('none', system)(u('https://e/'))).toBeNull();
    expect((await proxyResolverFor('http://own:3128', system)(u('https://e/')))?.host).toBe('own:3128');
  });
});
