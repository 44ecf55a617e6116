/**
 * Saves text as a file from a browser page (the web host, which has no save dialog of its own):
 * the browser's download, of a Blob made here, so nothing leaves the page but the file.
 */

/** Offers `content` as a download named `fileName`. */
export function downloadText(fileName: string, mimeType: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: `${mimeType};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the URL by then; it is released a little later, not at once.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
