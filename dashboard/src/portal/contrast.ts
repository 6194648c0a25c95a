// Text colour for a themed accent: pure, so it is unit-tested without a browser.

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Above ~0.179, black text has the higher contrast ratio ((L + 0.05) / 0.05 > 1.05 / (L + 0.05)).
  return luminance > 0.179 ? "#000" : "#fff";
}
