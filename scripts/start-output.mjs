// What `npm start` prints: the closing banner, and a filter over wrangler dev's output that keeps it
// readable (wrangler prints its bindings table again on every reload; once is enough).

/** The lines printed once the server answers: everything a newcomer needs, in one place. */
export function banner({ url, devVarsPath, adminKey }) {
  const line = "─".repeat(66);
  return [
    "",
    line,
    `  HookRelay is ready on ${url}`,
    `    Dashboard   ${url}/          (sign in with the admin key)`,
    `    API         ${url}/v1        reference: ${url}/docs`,
    `    Admin key   ADMIN_API_KEY in ${devVarsPath}`,
    `                ${adminKey ?? "(not set: add ADMIN_API_KEY to .dev.vars)"}`,
    `    Cron        this script fires it every minute (fire it now: curl "${url}/cdn-cgi/handler/scheduled")`,
    "  Stop with Ctrl+C. Local data lives in .wrangler/state (delete it for a clean start).",
    line,
    "",
  ].join("\n");
}

const BINDINGS_HEADER = "Your Worker has access to the following bindings:";

/**
 * A line filter for wrangler dev's output. Returns the lines to print: the bindings table only the first
 * time (a block from its header to the next blank line), everything else unchanged.
 */
export function createOutputFilter() {
  let bindingsShown = false;
  let inRepeatedBindings = false;
  return function filter(line) {
    const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
    if (plain.includes(BINDINGS_HEADER)) {
      inRepeatedBindings = bindingsShown;
      bindingsShown = true;
      return inRepeatedBindings ? [] : [line];
    }
    if (inRepeatedBindings) {
      if (plain.trim() === "") inRepeatedBindings = false;
      return [];
    }
    return [line];
  };
}

/** Splits a stream into lines and passes each through `filter`, writing what it keeps to `out`. */
export function pipeLines(stream, out, filter) {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) for (const kept of filter(line)) out.write(`${kept}\n`);
  });
  stream.on("end", () => {
    if (pending) for (const kept of filter(pending)) out.write(`${kept}\n`);
  });
}
