// Applies a portal link's theme: its primary colour becomes the dashboard's accent. The values were validated by
// the API (#rrggbb, https logo URL); they are checked again here because they end up in CSS.
import { useEffect } from "react";
import type { PortalTheme } from "./portal-session";

const HEX = /^#[0-9a-fA-F]{6}$/;

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.4 ? "#000" : "#fff";
}

export function useApplyTheme(theme: PortalTheme | null | undefined): void {
  const color = theme?.primary_color;
  useEffect(() => {
    if (!color || !HEX.test(color)) return;
    const root = document.documentElement.style;
    root.setProperty("--accent", color);
    root.setProperty("--accent-text", textOn(color));
    return () => {
      root.removeProperty("--accent");
      root.removeProperty("--accent-text");
    };
  }, [color]);
}

export function safeLogoUrl(theme: PortalTheme | null | undefined): string | null {
  const url = theme?.logo_url;
  return url && url.startsWith("https://") ? url : null;
}
