// The one way the dashboard talks to HookRelay: same-origin /v1 calls with the signed-in key.
// Every non-2xx answer becomes an ApiError carrying the server's problem+json, so pages can show it.
import type { Page, Problem } from "./types";

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    // Empty filters mean "no filter": sending `owner_id=` would be a validation error.
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Turns any failed response into a Problem, also when the body is not problem+json (proxies, crashes). */
async function problemFrom(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === "object" && typeof body.title === "string") {
      return { ...body, title: body.title, status: body.status ?? res.status };
    }
  } catch {
    // not JSON: fall through to a generic problem built from the status line
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 500) || undefined };
}

export class ApiClient {
  constructor(
    private readonly key: string,
    /** Called on 401 so the shell can send the user back to sign-in. */
    private readonly onUnauthorized?: () => void,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError({ title: "Network error", status: 0, detail: `Could not reach the server (${String(err)}).` });
    }
    if (!res.ok) {
      const problem = await problemFrom(res);
      if (res.status === 401) this.onUnauthorized?.();
      throw new ApiError(problem);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", withQuery(path, query));
  }
  list<T>(path: string, query?: Query): Promise<Page<T>> {
    return this.get<Page<T>>(path, query);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }
  delete(path: string): Promise<void> {
    return this.request<void>("DELETE", path);
  }
}
