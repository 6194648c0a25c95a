// PORTAL_FRAME_ANCESTORS → the source list of a CSP `frame-ancestors` directive. Pure: no bindings.

/** A scheme-qualified origin, optionally with a leading `*.` wildcard host, a port and a trailing slash; or 'self'. No paths. */
const SOURCE = /^(?:'self'|https?:\/\/(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?\/?)$/;

/**
 * Keeps the entries that are origins (a header value built from anything else could smuggle in other CSP
 * directives with `;` or break the header) and drops (and logs) the rest. Nothing valid
 * means the portal may not be framed at all: `'none'`.
 */
export function frameAncestorsSource(setting: string | undefined): string {
  const entries = (setting ?? "").split(/\s+/).filter(Boolean);
  const valid = entries.filter((e) => SOURCE.test(e)).map((e) => e.replace(/\/$/, ""));
  const dropped = entries.filter((e) => !SOURCE.test(e));
  if (dropped.length > 0) {
    console.warn(JSON.stringify({ level: "warn", msg: "PORTAL_FRAME_ANCESTORS entries ignored (not origins)", dropped }));
  }
  return valid.length > 0 ? valid.join(" ") : "'none'";
}
