export interface DecodedImage {
  source: CanvasImageSource;
  release(): void;
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Decodes a preview JPEG. createImageBitmap decodes off the main thread and frees the pixels on
 * release(), which matters at 16 tiles × several frames a second; <img> is the fallback.
 */
export async function decodeJpeg(base64: string): Promise<DecodedImage> {
  if (typeof createImageBitmap === 'function') {
    const bitmap = await createImageBitmap(new Blob([bytesOf(base64)], { type: 'image/jpeg' }));
    return { source: bitmap, release: () => bitmap.close() };
  }
  const img = new Image();
  img.src = `data:image/jpeg;base64,${base64}`;
  await img.decode();
  return { source: img, release: () => undefined };
}
