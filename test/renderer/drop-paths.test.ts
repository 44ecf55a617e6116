import { describe, expect, it } from 'vitest';
import { baseName, pathsFromDrop, pathsFromText, pathsFromUriList } from '../../renderer/lib/drop-paths.js';

describe('paths from a drop', () => {
  it('reads file URLs of a uri-list, skipping comments and other schemes', () => {
    const list = '# dragged\r\nfile:///srv/images/fedora%2040.qcow2\r\nhttps://example.com/x.iso\nfile://localhost/tmp/boot.iso\n';
    expect(pathsFromUriList(list)).toEqual(['/srv/images/fedora 40.qcow2', '/tmp/boot.iso']);
  });

  it('turns Windows drive and share URLs into Windows paths', () => {
    expect(pathsFromUriList('file:///C:/images/a.raw')).toEqual(['C:/images/a.raw']);
    expect(pathsFromUriList('file://server/share/a.raw')).toEqual(['//server/share/a.raw']);
  });

  it('prefers the host’s path of each File and names the files it could not locate', () => {
    const files = [{ name: 'a.qcow2' }, { name: 'b.iso' }, { name: 'c.raw' }];
    const result = pathsFromDrop({ files, getData: (f) => (f === 'text/uri-list' ? 'file:///data/b.iso' : '') }, (f) => (f.name === 'a.qcow2' ? '/home/me/a.qcow2' : null));
    expect(result).toEqual({ paths: ['/home/me/a.qcow2', '/data/b.iso'], unlocated: ['c.raw'] });
  });

  it('reads typed paths one per line, unquoted and without duplicates', () => {
    expect(pathsFromText(' /a/x.raw \n\n"/b/y z.iso"\n/a/x.raw\n')).toEqual(['/a/x.raw', '/b/y z.iso']);
  });

  it('takes the file name of either kind of path', () => {
    expect(baseName('/a/b/c.iso')).toBe('c.iso');
    expect(baseName('C:\\img\\d.raw')).toBe('d.raw');
  });
});
