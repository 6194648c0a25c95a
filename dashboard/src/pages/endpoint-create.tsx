// New endpoint: the form, then straight to the endpoint's page (where subscriptions are added).
import type { Endpoint } from "../api/types";
import { EndpointForm } from "../components/endpoint-form";
import { PageHeader } from "../components/page-header";
import { useApp, useBoundOwner } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { endpointCreateBody, emptyEndpointForm } from "../lib/endpoint-form-state";
import { href, navigate } from "../lib/router";
import { useAction } from "../lib/use-resource";

export function EndpointCreatePage() {
  const { api } = useApp();
  const bound = useBoundOwner();
  const action = useAction();

  return (
    <>
      <PageHeader title="New endpoint" subtitle={<a href={href(["endpoints"])}>← Endpoints</a>} />
      <Writable fallback={<div className="empty">This portal link is read-only: it cannot create endpoints.</div>}>
        <section className="card">
          <EndpointForm
            initial={emptyEndpointForm(bound ?? "")}
            mode="create"
            ownerEditable={!bound}
            pending={action.pending}
            error={action.error}
            submitLabel="Create endpoint"
            onCancel={() => navigate(href(["endpoints"]))}
            onSubmit={async (state) => {
              const created = await action.run(() => api.post<Endpoint>("/v1/endpoints", endpointCreateBody(state)));
              if (created) navigate(href(["endpoints", created.id]));
            }}
          />
        </section>
      </Writable>
    </>
  );
}
