import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { isUnauthorized, signInHref } from "./lib/api.ts";
import { router } from "./router.tsx";
import "./styles.css";

// a 401 anywhere (expired or revoked session) sends you to sign in, and back here afterwards
const onError = (err: unknown) => {
  if (isUnauthorized(err) && !window.location.pathname.startsWith("/sign-in")) {
    void router.navigate({ href: signInHref(), replace: true });
  }
};

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: { retry: (n, err) => !isUnauthorized(err) && n < 2, refetchOnWindowFocus: true },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} context={{ queryClient }} />
    </QueryClientProvider>
  </StrictMode>,
);
