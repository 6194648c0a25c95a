// The EndpointDO's copy of its endpoint's settings: stored (secrets still encrypted) so a restart needs no
// D1 read, reloaded when configChanged() drops it or the owner's config version moved, opened in memory only.
import { getDb } from "../db/client";
import { readConfigVersions } from "../db/repos/config-versions";
import type { Env } from "../env";
import { readEndpointSnapshot, type EndpointSnapshot, type OpenedEndpoint } from "./endpoint-config";
import type { EndpointStore } from "./endpoint-store";

export type SnapshotState = { kind: "endpoint"; snap: EndpointSnapshot } | { kind: "deleted" };

/** The backstop for a missed configChanged() call: how stale the config version may be. */
export const VERSION_CHECK_MS = 1_000;

export class SnapshotKeeper {
  private opened: OpenedEndpoint | null = null;
  /** The stored snapshot, parsed once: the drain asks for it before every attempt. undefined = not read yet. */
  private cached: SnapshotState | null | undefined = undefined;
  private ids: { endpointId: string | null; ownerId: string | null } | null = null;
  /** Set by load() when it read the endpoint from D1 rather than storage. */
  private wasReloaded = false;
  /** When the config version was last confirmed against D1 (0: never, or a change was announced since). */
  private verifiedAt = 0;

  constructor(
    private readonly env: Env,
    private readonly store: EndpointStore,
  ) {}

  private loadIds() {
    return (this.ids ??= { endpointId: this.store.getMeta("endpoint_id"), ownerId: this.store.getMeta("owner_id") });
  }

  endpointId(): string | null {
    return this.loadIds().endpointId;
  }

  ownerId(): string | null {
    return this.loadIds().ownerId;
  }

  /** Learns which endpoint this object serves from the first work it gets (read from memory after that). */
  remember(endpointId: string, ownerId: string): void {
    const ids = this.loadIds();
    if (ids.endpointId === null) this.store.setMeta("endpoint_id", (ids.endpointId = endpointId));
    if (ids.ownerId === null) this.store.setMeta("owner_id", (ids.ownerId = ownerId));
  }

  invalidate(): void {
    this.verifiedAt = 0;
    this.opened = null;
    this.store.deleteMeta("snapshot");
    this.cached = null;
  }

  private save(state: SnapshotState): void {
    this.store.setMeta("snapshot", JSON.stringify(state));
    this.cached = state;
  }

  private stored(): SnapshotState | null {
    if (this.cached === undefined) {
      const text = this.store.getMeta("snapshot");
      this.cached = text ? (JSON.parse(text) as SnapshotState) : null;
    }
    return this.cached;
  }

  /** Whether the last load() read the endpoint from D1 (its counters are D1's as of now). */
  reloaded(): boolean {
    return this.wasReloaded;
  }

  /** The stored snapshot, or a fresh one from D1. null when D1 cannot be read and nothing is stored. */
  async load(): Promise<SnapshotState | null> {
    this.wasReloaded = false;
    const previous = this.stored();
    const ownerId = this.ownerId();
    // Runs start once per delivery when work arrives a little at a time: the version is confirmed at most
    // once per VERSION_CHECK_MS, not one D1 query per run (configChanged() still applies a change at once).
    if (previous && Date.now() - this.verifiedAt < VERSION_CHECK_MS) return previous;
    let version: number | null = null;
    if (ownerId) {
      try {
        // The owner's config version moves with every endpoint change: a missed configChanged() call
        // (it is best effort) still leads to a reload here, at the start of the next run.
        version = (await readConfigVersions(getDb(this.env.DB), [ownerId])).get(ownerId) ?? 0;
        this.verifiedAt = Date.now();
      } catch {
        version = null; // D1 unreachable: keep using the stored snapshot if there is one.
      }
    }
    if (previous && (previous.kind === "deleted" || version === null || String(version) === this.store.getMeta("config_version"))) return previous;
    const endpointId = this.endpointId();
    if (!endpointId) return { kind: "deleted" };
    let snap: EndpointSnapshot | null;
    try {
      snap = await readEndpointSnapshot(this.env, endpointId);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "endpoint config unreadable", endpoint_id: endpointId, error: String(err) }));
      return previous;
    }
    const state: SnapshotState = snap ? { kind: "endpoint", snap } : { kind: "deleted" };
    this.wasReloaded = true;
    this.save(state);
    // The version read before the row: a change after that read moves it again and reloads next run.
    if (version !== null) this.store.setMeta("config_version", String(version));
    this.opened = null;
    return state;
  }

  current(): EndpointSnapshot | null {
    const state = this.stored();
    return state?.kind === "endpoint" ? state.snap : null;
  }

  async open(opener: () => Promise<OpenedEndpoint>): Promise<OpenedEndpoint> {
    const snap = this.current();
    if (!this.opened || this.opened.id !== snap?.id) this.opened = await opener();
    return this.opened;
  }

  markDisabled(): void {
    const snap = this.current();
    if (!snap) return;
    this.save({ kind: "endpoint", snap: { ...snap, status: "disabled" } });
    if (this.opened) this.opened.status = "disabled";
  }
}
