// Settings: notification channels and their log, and owner API keys.
import { ApiKeysPanel } from "../components/api-keys-panel";
import { NotificationChannelsPanel } from "../components/notification-channels-panel";
import { NotificationLog } from "../components/notification-log";
import { PageHeader } from "../components/page-header";
import { NotInPortal } from "../portal/permissions";
import { PortalLinksPanel } from "../portal/portal-links-panel";

export function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" subtitle="Who hears about failing and disabled endpoints, and who may use the API." />
      <NotificationChannelsPanel />
      <NotificationLog />
      {/* A portal link manages no API keys and no portal links (and the API refuses it there). */}
      <NotInPortal>
        <ApiKeysPanel />
        <PortalLinksPanel />
      </NotInPortal>
    </>
  );
}
