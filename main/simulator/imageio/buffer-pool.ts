/**
 * Reusable I/O buffers (imageio keeps one 8 MiB aligned buffer per connection). Buffers are borrowed
 * for one request and returned, so streaming a 1 GiB body touches a few fixed buffers only.
 */
export class BufferPool {
  readonly size: number;
  private readonly free: Buffer[] = [];
  private readonly keep: number;

  constructor(size: number, keep = 8) {
    this.size = size;
    this.keep = keep;
  }

  /** Borrows a buffer of `size` bytes (contents undefined). */
  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer; extra ones are left to the garbage collector. */
  release(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }
}
