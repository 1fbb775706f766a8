// Builds the console into dist/ (the Worker serves it as static assets); `npm run dev:web` serves it
// with hot reload and sends /api and /auth (websockets too) to a running platform, AMBIT_BASE_URL
// or http://localhost:8787, so the session cookie is first-party as in production.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const platform = process.env.AMBIT_BASE_URL ?? "http://localhost:8787";
// the platform checks a cookie request's Origin against its own: present the dev server's
// requests as the platform's own origin
const proxy = {
  target: platform,
  changeOrigin: true,
  ws: true,
  headers: { origin: new URL(platform).origin },
};

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { port: 5173, proxy: { "/api": proxy, "/auth": proxy } },
});
