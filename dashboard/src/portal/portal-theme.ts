// Applies a portal link's theme: its primary colour becomes the dashboard's accent. The values were validated by
// the API (#rrggbb, https logo URL); they are checked again here because they end up in CSS.
import { useEffect } from "react";
import { textOn } from "./contrast";
import type { PortalTheme } from "./portal-session";

const HEX = /^#[0-9a-fA-F]{6}$/;

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
