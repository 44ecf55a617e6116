import { describe, expect, it } from 'vitest';
import { engineBaseUrl, joinUrl } from '../../../main/engine/ovirt/urls.js';

describe('engineBaseUrl', () => {
  it('accepts a bare host, the portal address and the API address', () => {
    for (const input of ['https://engine.example.com', 'https://engine.example.com/ovirt-engine/', 'https://engine.example.com/ovirt-engine/api'])
      expect(engineBaseUrl(input).href).toBe('https://engine.example.com/ovirt-engine');
  });
  it('accepts the API address with the version in its path', () => {
    expect(engineBaseUrl('https://engine.example.com/ovirt-engine/api/v4/').href).toBe('https://engine.example.com/ovirt-engine');
  });
  it('keeps a port and drops query and fragment', () => {
    expect(engineBaseUrl('https://127.0.0.1:8443/ovirt-engine?x=1#y').href).toBe('https://127.0.0.1:8443/ovirt-engine');
  });
  it('refuses http unless allowed, and credentials in the URL', () => {
    expect(() => engineBaseUrl('http://engine/ovirt-engine')).toThrow(/https/);
    expect(engineBaseUrl('http://engine/ovirt-engine', { allowHttp: true }).protocol).toBe('http:');
    expect(() => engineBaseUrl('https://admin:secret@engine/ovirt-engine')).toThrow(/user name or password/);
  });
  it('reports bad input for text that is no URL', () => {
    expect(() => engineBaseUrl('not a url')).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });
});

describe('joinUrl', () => {
  it('appends the path and only the defined query parameters', () => {
    const url = joinUrl(new URL('https://e/ovirt-engine'), '/api/disks', { search: 'name=a b', max: 5, other: undefined });
    expect(url.pathname).toBe('/ovirt-engine/api/disks');
    expect(url.searchParams.get('search')).toBe('name=a b');
    expect(url.searchParams.get('max')).toBe('5');
    expect(url.searchParams.has('other')).toBe(false);
  });
});
