/** The environment for a local `wrangler dev` started by this repo: local tracing off unless set, no wrangler metrics. */
export function localRuntimeEnv<E extends Record<string, string | undefined> = NodeJS.ProcessEnv>(
  base?: E,
): E & { WRANGLER_SEND_METRICS: string; X_LOCAL_OBSERVABILITY: string };
