// Builds the dashboard into dashboard/dist, which wrangler serves as static assets (see wrangler.toml [assets]).
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig(({ command }) => {
  // A build is always a production build, even when started from a process with NODE_ENV=test (vitest):
  // otherwise React's development build and JSX dev transform (bigger, slower, effects run twice) would ship.
  if (command === "build") process.env.NODE_ENV = "production";
  return {
    root,
    // Served from the Worker's own origin at /, next to the /v1 API it talks to.
    base: "/",
    plugins: [react()],
    build: {
      outDir: fileURLToPath(new URL("./dist", import.meta.url)),
      emptyOutDir: true,
      target: "es2022",
      sourcemap: false,
    },
  };
});
