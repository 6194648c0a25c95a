// The floor's signing secret for every target (bench/floor/index.mjs); tests verify its webhooks with it.
export const SIGNING_SECRET = "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
