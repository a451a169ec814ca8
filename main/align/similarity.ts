export type Point = [number, number];

/** 2×3 affine matrix [a, b, tx, c, d, ty]: x' = a x + b y + tx, y' = c x + d y + ty. */
export type Affine = [number, number, number, number, number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) mapping `src`
 * onto `dst` — Umeyama (1991), the estimator insightface and OpenCV's estimateAffinePartial2D
 * use for ArcFace alignment. Closed form for 2-D: no SVD library needed.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  let mxs = 0;
  let mys = 0;
  let mxd = 0;
  let myd = 0;
  for (let i = 0; i < n; i++) {
    mxs += src[i]![0];
    mys += src[i]![1];
    mxd += dst[i]![0];
    myd += dst[i]![1];
  }
  mxs /= n;
  mys /= n;
  mxd /= n;
  myd /= n;
  // Cross-covariance terms and source variance of the centred point sets.
  let sxx = 0;
  let sxy = 0;
  let varS = 0;
  for (let i = 0; i < n; i++) {
    const xs = src[i]![0] - mxs;
    const ys = src[i]![1] - mys;
    const xd = dst[i]![0] - mxd;
    const yd = dst[i]![1] - myd;
    sxx += xs * xd + ys * yd; // Σ (s · d)
    sxy += xs * yd - ys * xd; // Σ (s × d)
    varS += xs * xs + ys * ys;
  }
  if (varS === 0) throw new Error('degenerate landmarks');
  // For 2-D similarity the optimum is a = Σ(s·d)/Σ|s|², b = Σ(s×d)/Σ|s|² (scale·cos, scale·sin).
  const a = sxx / varS;
  const b = sxy / varS;
  const tx = mxd - (a * mxs - b * mys);
  const ty = myd - (b * mxs + a * mys);
  return [a, -b, tx, b, a, ty];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (det === 0) throw new Error('singular transform');
  const ia = m[4] / det;
  const ib = -m[1] / det;
  const ic = -m[3] / det;
  const id = m[0] / det;
  return [ia, ib, -(ia * m[2] + ib * m[5]), ic, id, -(ic * m[2] + id * m[5])];
}
