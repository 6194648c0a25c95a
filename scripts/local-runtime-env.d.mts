/** The environment for a local `wrangler dev` started by this repo: local tracing off unless set, no wrangler metrics. */
export function localRuntimeEnv(base?: Record<string, string | undefined>): Record<string, string | undefined>;
