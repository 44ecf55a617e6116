/**
 * Files that are not raw disk images although they would upload as if they were: other hypervisors'
 * image formats, archives and compressed files. Uploaded as raw they would give a disk that does not
 * boot, so they are refused with the conversion to run. Only formats with an unmistakable signature
 * are named; anything else is raw (a raw disk can start with any bytes).
 */

/** What a file is and how to make it uploadable; null when it may be a raw image. */
export interface ForeignFormat {
  readonly what: string;
  readonly fix: string;
}

const convert = (fmt: string) => `Convert it first, for example: qemu-img convert -f ${fmt} -O qcow2 FILE FILE.qcow2`;

/** Signatures at a fixed offset of the file's first bytes. */
const SIGNATURES: readonly { readonly at: number; readonly bytes: Buffer; readonly format: ForeignFormat }[] = [
  { at: 0, bytes: Buffer.from('KDMV'), format: { what: 'a VMware VMDK image', fix: convert('vmdk') } },
  { at: 0, bytes: Buffer.from('# Disk DescriptorFile'), format: { what: 'a VMware VMDK descriptor (the data is in the files it names)', fix: convert('vmdk') } },
  { at: 0, bytes: Buffer.from('vhdxfile'), format: { what: 'a Hyper-V VHDX image', fix: convert('vhdx') } },
  { at: 0, bytes: Buffer.from('conectix'), format: { what: 'a Hyper-V/Virtual PC VHD image', fix: convert('vpc') } },
  { at: 0x40, bytes: Buffer.from([0x7f, 0x10, 0xda, 0xbe]), format: { what: 'a VirtualBox VDI image', fix: convert('vdi') } },
  { at: 0, bytes: Buffer.from('QED\0'), format: { what: 'a QED image', fix: convert('qed') } },
  { at: 257, bytes: Buffer.from('ustar'), format: { what: 'a tar archive (an OVA?)', fix: 'Extract the disk image from it (tar -xf FILE) and upload that.' } },
  { at: 0, bytes: Buffer.from([0x1f, 0x8b, 0x08]), format: { what: 'gzip-compressed', fix: 'Decompress it first (gunzip -k FILE) and upload the result.' } },
  { at: 0, bytes: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), format: { what: 'xz-compressed', fix: 'Decompress it first (unxz -k FILE) and upload the result.' } },
  { at: 0, bytes: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), format: { what: 'zstd-compressed', fix: 'Decompress it first (unzstd FILE) and upload the result.' } },
  { at: 0, bytes: Buffer.from('BZh'), format: { what: 'bzip2-compressed', fix: 'Decompress it first (bunzip2 -k FILE) and upload the result.' } },
  { at: 0, bytes: Buffer.from([0x50, 0x4b, 0x03, 0x04]), format: { what: 'a zip archive', fix: 'Extract the disk image from it and upload that.' } },
  { at: 0, bytes: Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), format: { what: 'a 7-Zip archive', fix: 'Extract the disk image from it and upload that.' } },
];

/**
 * The foreign format of a file from its first bytes (`head`, up to 64 KiB) and its last 512 bytes
 * (`tail`; a fixed-size VHD is raw data with a `conectix` footer).
 */
export function foreignFormat(head: Buffer, tail: Buffer | null): ForeignFormat | null {
  for (const s of SIGNATURES) {
    if (head.length >= s.at + s.bytes.length && head.subarray(s.at, s.at + s.bytes.length).equals(s.bytes)) return s.format;
  }
  if (tail && tail.length === 512 && tail.subarray(0, 8).toString('latin1') === 'conectix') return { what: 'a fixed-size Hyper-V/Virtual PC VHD image', fix: convert('vpc') };
  return null;
}
