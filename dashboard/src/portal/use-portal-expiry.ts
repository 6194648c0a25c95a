// Ends a portal session when its link's time is up, even on a page left idle (the API would refuse the next
// call anyway; this just says so without waiting for a click).
import { useEffect } from "react";

/** Browsers fire timers of more than 2^31-1 ms at once: wait in steps no longer than a day. */
const MAX_STEP_MS = 86_400_000;

export function usePortalExpiry(expiresAt: string | undefined, onExpired: () => void): void {
  useEffect(() => {
    if (!expiresAt) return;
    const end = Date.parse(expiresAt);
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const left = end - Date.now();
      if (left <= 0) return onExpired();
      timer = setTimeout(arm, Math.min(left, MAX_STEP_MS));
    };
    arm();
    return () => clearTimeout(timer);
    // onExpired is recreated each render; the deadline is what matters.
  }, [expiresAt]);
}
