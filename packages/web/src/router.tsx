// Every screen has a URL; search parameters (filters, tabs) are the screen's state.
import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { Shell } from "./components/shell.tsx";
import { NotFound } from "./components/not-found.tsx";
import { NewRunPage } from "./pages/new-run.tsx";
import { PublicRunPage } from "./pages/public-run.tsx";
import { meQuery } from "./lib/me.ts";
import { RunPage, type RunSearch, parseRunSearch, runQuery } from "./pages/run.tsx";
import { RunsPage, runsQuery } from "./pages/runs.tsx";
import { EditSchedulePage, NewSchedulePage, SchedulePage } from "./pages/schedule.tsx";
import { SchedulesPage } from "./pages/schedules.tsx";
import { SessionsPage } from "./pages/sessions.tsx";
import { SettingsCollectionPage, SettingsPage } from "./pages/settings.tsx";
import { AuditLogPage, type AuditSearch, parseAuditSearch } from "./pages/audit-log.tsx";
import { HostsPage } from "./pages/hosts.tsx";
import { StatsPage } from "./pages/stats.tsx";
import { TeamPage } from "./pages/team.tsx";
import {
  DeviceLoginPage,
  type DeviceLoginSearch,
  parseDeviceLoginSearch,
} from "./pages/device-login.tsx";
import { SignInPage, type SignInSearch, parseSignInSearch } from "./pages/sign-in.tsx";
import { type CollectionSearch, parseCollectionSearch } from "./settings/collection-page.tsx";
import { parseRunsSearch, type RunsSearch } from "./run/runs-search.ts";
import { parseStatsSearch, type StatsSearch } from "./stats/stats-search.ts";
import {
  type IntegrationSearch,
  type NewIntegrationSearch,
  parseIntegrationSearch,
  parseNewIntegrationSearch,
} from "./integrations/search.ts";

/** What every route's loader gets: main.tsx's query client, passed to the RouterProvider. */
export type RouterContext = { queryClient: QueryClient };

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFound,
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: (s: Record<string, unknown>): SignInSearch => parseSignInSearch(s),
  component: SignInPage,
});

/** A run's public link: no sign-in, no shell (the share dialog hands out this page's URL). */
const publicRunRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/share/$shareId",
  component: PublicRunPage,
});

/**
 * The signed-in part: the shell around every other screen. The shell draws a screen once `GET /me`
 * answered (its role decides the write controls); the loaders start that request and the screen's
 * first one together, as the page loads, rather than one after the other. They do not wait for
 * them (the screens show their own loading and errors): a loader only warms the query cache.
 */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  component: Shell,
  loader: ({ context }) => void context.queryClient.prefetchQuery(meQuery),
});

const indexRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/runs" });
  },
});

export const runsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/runs",
  validateSearch: (s: Record<string, unknown>): RunsSearch => parseRunsSearch(s),
  loaderDeps: ({ search }) => search,
  loader: ({ context, deps }) => void context.queryClient.prefetchQuery(runsQuery(deps)),
  component: RunsPage,
});

export const newRunRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/runs/new",
  component: NewRunPage,
});

export const runRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/runs/$runId",
  validateSearch: (s: Record<string, unknown>): RunSearch => parseRunSearch(s),
  loader: ({ context, params }) => void context.queryClient.prefetchQuery(runQuery(params.runId)),
  component: RunPage,
});

const sessionsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/settings/sessions",
  component: SessionsPage,
});

const auditLogRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/settings/audit-log",
  validateSearch: (s: Record<string, unknown>): AuditSearch => parseAuditSearch(s),
  component: AuditLogPage,
});

const schedulesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules",
  component: SchedulesPage,
});
const newScheduleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules/new",
  component: NewSchedulePage,
});
const scheduleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules/$scheduleId",
  component: SchedulePage,
});
const editScheduleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules/$scheduleId/edit",
  component: EditSchedulePage,
});
const schedulesRoutes = [schedulesRoute, newScheduleRoute, scheduleRoute, editScheduleRoute];

const settingsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/settings",
  component: SettingsPage,
});

const settingsCollectionRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/settings/$resource",
  validateSearch: (s: Record<string, unknown>): CollectionSearch => parseCollectionSearch(s),
  component: SettingsCollectionPage,
});

const statsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/stats",
  validateSearch: (s: Record<string, unknown>): StatsSearch => parseStatsSearch(s),
  component: StatsPage,
});

// Integrations and outbound webhooks: their own chunks, loaded when one of their screens opens
const integrationsPage = () => import("./pages/integrations.tsx");
const integrationPage = () => import("./pages/integration.tsx");
const webhooksPage = () => import("./pages/webhooks.tsx");
const webhookPage = () => import("./pages/webhook.tsx");
const integrationRoutes = [
  createRoute({
    getParentRoute: () => appRoute,
    path: "/integrations",
    component: lazyRouteComponent(integrationsPage, "IntegrationsPage"),
  }),
  createRoute({
    getParentRoute: () => appRoute,
    path: "/integrations/new",
    validateSearch: (s: Record<string, unknown>): NewIntegrationSearch =>
      parseNewIntegrationSearch(s),
    component: lazyRouteComponent(integrationsPage, "NewIntegrationPage"),
  }),
  createRoute({
    getParentRoute: () => appRoute,
    path: "/integrations/$uid",
    validateSearch: (s: Record<string, unknown>): IntegrationSearch => parseIntegrationSearch(s),
    component: lazyRouteComponent(integrationPage, "IntegrationPage"),
  }),
  createRoute({
    getParentRoute: () => appRoute,
    path: "/integrations/$uid/edit",
    component: lazyRouteComponent(integrationPage, "EditIntegrationPage"),
  }),
  createRoute({
    getParentRoute: () => appRoute,
    path: "/settings/webhooks",
    component: lazyRouteComponent(webhooksPage, "WebhooksPage"),
  }),
  createRoute({
    getParentRoute: () => appRoute,
    path: "/settings/webhooks/$uid",
    component: lazyRouteComponent(webhookPage, "WebhookPage"),
  }),
];

const hostsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/hosts",
  component: HostsPage,
});

const teamRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/team",
  component: TeamPage,
});

/** `ambit login --web`'s approval page: signed in, like every screen of the shell. */
const deviceLoginRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/login/device",
  validateSearch: (s: Record<string, unknown>): DeviceLoginSearch => parseDeviceLoginSearch(s),
  component: DeviceLoginPage,
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  publicRunRoute,
  appRoute.addChildren([
    indexRoute,
    runsRoute,
    newRunRoute,
    runRoute,
    sessionsRoute,
    auditLogRoute,
    ...schedulesRoutes,
    settingsRoute,
    settingsCollectionRoute,
    statsRoute,
    ...integrationRoutes,
    hostsRoute,
    teamRoute,
    deviceLoginRoute,
  ]),
]);

/**
 * Search parameters as plain query strings, a list as a repeated key (`state=FAILED&state=ERROR`,
 * like the API's own), rather than the router's default JSON: URLs people can read and write.
 */
function parseSearch(query: string): Record<string, unknown> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) {
    const had = out[k];
    out[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
  }
  return out;
}

function stringifySearch(search: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(search)) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, String(one));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export const router = createRouter({
  routeTree,
  context: { queryClient: undefined! }, // main.tsx gives the RouterProvider the real one
  defaultPreload: "intent",
  scrollRestoration: true,
  parseSearch,
  stringifySearch,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
