// The portal's header brand: the link's logo (if its theme has one) and whose portal this is.
import type { PortalInfo } from "./portal-session";
import { safeLogoUrl } from "./portal-theme";
import "./portal.css";

export function PortalBrand({ portal, ownerId }: { portal: PortalInfo; ownerId: string }) {
  const logo = safeLogoUrl(portal.theme);
  return (
    <a className="brand portal-brand" href="#/">
      {logo && <img src={logo} alt="" className="portal-logo" data-testid="portal-logo" referrerPolicy="no-referrer" />}
      <span data-testid="portal-owner">{portal.ownerName ?? ownerId}</span>
    </a>
  );
}
