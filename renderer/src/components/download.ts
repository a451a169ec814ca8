/** Bytes of a base64 string (the contract carries files as base64). */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Saves a file the engine produced. A Blob behind an object URL and a clicked <a download> works
 * the same in Chromium and in Electron (which shows its save dialog), with no engine-side path.
 */
export function saveFile(file: { filename: string; mime: string; data: string }): Blob {
  const blob = new Blob([base64ToBytes(file.data)], { type: file.mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some Chromium builds; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return blob;
}
