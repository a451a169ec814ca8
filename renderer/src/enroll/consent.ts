/**
 * Shown before any photo is taken and stored with the enrollment (the consents table), so what
 * the person agreed to can be produced later word for word.
 */
export const CONSENT_TEXT =
  'I agree that this building stores a numeric template computed from photos of my face, and uses ' +
  'it only to recognise me on the building’s cameras so that I am not reported as an unknown person. ' +
  'The photos themselves are not kept. I can ask the building’s administrator at any time to show me ' +
  'what is stored about me, to stop recognising me, or to erase my template; erasing it is immediate ' +
  'and cannot be undone.';
