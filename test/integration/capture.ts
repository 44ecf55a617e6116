/** A writable stream that keeps what is written, typed as the process streams the CLI's main() expects. */
import { Writable } from 'node:stream';

/** See the file comment; `onWrite` sees each chunk as it arrives. */
export function capture(onWrite?: (text: string) => void): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      onWrite?.(chunk.toString());
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}
