/** In-place fast Walsh–Hadamard transform (length a power of two): a cheap random-like rotation. */
export function fwht(a: Float64Array): void {
  for (let h = 1; h < a.length; h <<= 1) {
    for (let i = 0; i < a.length; i += h << 1) {
      for (let j = i; j < i + h; j++) {
        const x = a[j] as number;
        const y = a[j + h] as number;
        a[j] = x + y;
        a[j + h] = x - y;
      }
    }
  }
}
