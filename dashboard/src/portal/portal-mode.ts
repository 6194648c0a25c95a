// Whether this page is the customer portal (/portal, opened from a portal link) or the admin dashboard (/).
// Decided by the path alone, so one built bundle serves both and a portal tab never shows admin sign-in.

export function isPortalPage(): boolean {
  const path = window.location.pathname;
  return path === "/portal" || path.startsWith("/portal/");
}
