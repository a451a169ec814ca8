/**
 * Two drawn people for the demo camera. The npm install ships no photographs of faces, and a demo
 * must not depend on test assets or a download, so the faces are drawn as SVG (rendered by sharp):
 * realistic enough for the default detector, and different enough in shape and colouring that the
 * recognizer tells them apart — one is enrolled as a member, the other stays a stranger.
 */
export interface DrawnFace {
  skin: string;
  shade: string;
  hair: string;
  /** Half-width and half-height of the face oval. */
  rx: number;
  ry: number;
  /** Half the distance between the eyes, eye width. */
  eyeGap: number;
  eyeW: number;
  iris: string;
  noseLen: number;
  mouthW: number;
  lips: string;
  longHair: boolean;
  beard: boolean;
  background: string;
  shirt: string;
}

export const MEMBER_FACE: DrawnFace = {
  skin: '#f0c8ae',
  shade: '#a8765c',
  hair: '#6b3a1c',
  rx: 96,
  ry: 132,
  eyeGap: 40,
  eyeW: 22,
  iris: '#3f6fa0',
  noseLen: 46,
  mouthW: 34,
  lips: '#c0505a',
  longHair: true,
  beard: false,
  background: '#9fb0bf',
  shirt: '#8a2f3c',
};

export const STRANGER_FACE: DrawnFace = {
  skin: '#8d5a3b',
  shade: '#4a2c1c',
  hair: '#111111',
  rx: 112,
  ry: 128,
  eyeGap: 46,
  eyeW: 18,
  iris: '#2a1a10',
  noseLen: 54,
  mouthW: 42,
  lips: '#6a3428',
  longHair: false,
  beard: true,
  background: '#b7a98f',
  shirt: '#2f4a6a',
};

/** An SVG portrait, `size` pixels square, face centred at (cx, cy) in a 480-unit drawing. */
export function faceSvg(f: DrawnFace, size = 480): string {
  const cx = 240;
  const cy = 235;
  const eyeY = cy - 15;
  const hairBack = f.longHair
    ? `<path d="M${cx - f.rx - 22} ${cy - 20} Q${cx - f.rx - 30} ${cy - f.ry - 40} ${cx} ${cy - f.ry - 30} Q${cx + f.rx + 30} ${cy - f.ry - 40} ${cx + f.rx + 22} ${cy - 20} L${cx + f.rx + 34} ${cy + f.ry + 70} L${cx - f.rx - 34} ${cy + f.ry + 70}Z" fill="${f.hair}"/>`
    : '';
  const hairTop = `<path d="M${cx - f.rx - 4} ${cy - 25} Q${cx - f.rx} ${cy - f.ry - 22} ${cx} ${cy - f.ry - 16} Q${cx + f.rx} ${cy - f.ry - 22} ${cx + f.rx + 4} ${cy - 25} Q${cx + f.rx - 12} ${cy - f.ry + 28} ${cx} ${cy - f.ry + 34} Q${cx - f.rx + 12} ${cy - f.ry + 28} ${cx - f.rx - 4} ${cy - 25}Z" fill="${f.hair}"/>`;
  const eye = (x: number) =>
    `<ellipse cx="${x}" cy="${eyeY}" rx="${f.eyeW}" ry="${f.eyeW * 0.5}" fill="#f6f2ec"/>` +
    `<circle cx="${x}" cy="${eyeY}" r="${f.eyeW * 0.42}" fill="${f.iris}"/>` +
    `<circle cx="${x}" cy="${eyeY}" r="${f.eyeW * 0.2}" fill="#000"/>` +
    `<path d="M${x - f.eyeW - 4} ${eyeY - f.eyeW * 1.1} Q${x} ${eyeY - f.eyeW * 1.8} ${x + f.eyeW + 4} ${eyeY - f.eyeW * 1.1}" stroke="${f.hair}" stroke-width="6" fill="none"/>`;
  const mouthY = cy + f.noseLen + 42;
  const beard = f.beard
    ? `<path d="M${cx - f.rx + 6} ${cy + 20} Q${cx - f.rx + 20} ${cy + f.ry + 16} ${cx} ${cy + f.ry + 8} Q${cx + f.rx - 20} ${cy + f.ry + 16} ${cx + f.rx - 6} ${cy + 20} Q${cx + 40} ${mouthY - 30} ${cx} ${mouthY - 26} Q${cx - 40} ${mouthY - 30} ${cx - f.rx + 6} ${cy + 20}Z" fill="${f.hair}" opacity="0.85"/>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 480 480">
<defs>
<radialGradient id="skin" cx="50%" cy="42%" r="60%"><stop offset="0%" stop-color="${f.skin}"/><stop offset="100%" stop-color="${f.shade}"/></radialGradient>
<radialGradient id="nose" cx="50%" cy="50%" r="50%"><stop offset="0%" stop-color="#000" stop-opacity="0.3"/><stop offset="100%" stop-color="#000" stop-opacity="0"/></radialGradient>
</defs>
<rect width="480" height="480" fill="${f.background}"/>
${hairBack}
<rect x="${cx - 150}" y="${cy + f.ry + 30}" width="300" height="200" rx="80" fill="${f.shirt}"/>
<rect x="${cx - 38}" y="${cy + f.ry - 30}" width="76" height="80" fill="${f.shade}"/>
<ellipse cx="${cx - f.rx + 2}" cy="${eyeY + 25}" rx="14" ry="26" fill="${f.shade}"/>
<ellipse cx="${cx + f.rx - 2}" cy="${eyeY + 25}" rx="14" ry="26" fill="${f.shade}"/>
<ellipse cx="${cx}" cy="${cy}" rx="${f.rx}" ry="${f.ry}" fill="url(#skin)"/>
${hairTop}
${eye(cx - f.eyeGap)}${eye(cx + f.eyeGap)}
<ellipse cx="${cx}" cy="${cy + f.noseLen * 0.6}" rx="20" ry="${f.noseLen * 0.55}" fill="url(#nose)"/>
<path d="M${cx - 14} ${cy + f.noseLen} Q${cx} ${cy + f.noseLen + 10} ${cx + 14} ${cy + f.noseLen}" stroke="${f.shade}" stroke-width="4" fill="none"/>
${beard}
<path d="M${cx - f.mouthW} ${mouthY} Q${cx} ${mouthY + 18} ${cx + f.mouthW} ${mouthY} Q${cx} ${mouthY + 8} ${cx - f.mouthW} ${mouthY}Z" fill="${f.lips}"/>
</svg>`;
}
