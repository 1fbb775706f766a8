// The frame of every signed-in screen: the team, who you are, the sections, sign-out.
import { useQueryClient } from "@tanstack/react-query";
import { Link, Outlet, useNavigate } from "@tanstack/react-router";
import { canWrite } from "../lib/api.ts";
import { useMe } from "../lib/me.ts";
import { isAdmin } from "../team/roles.ts";
import { Problem } from "./problem.tsx";

export function Shell() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  async function signOut() {
    await fetch("/auth/sign-out", { method: "POST" }).catch(() => {});
    queryClient.clear();
    await navigate({ to: "/sign-in", search: {} });
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="shell">
        <nav aria-label="Sections">
          <Link to="/runs" className="brand">
            Ambit
          </Link>
          {me.data && (
            <span className="team" title="Your team">
              {me.data.team.name}
            </span>
          )}
          <Link to="/runs" search={{}} activeOptions={{ exact: true, includeSearch: false }}>
            Runs
          </Link>
          {canWrite(me.data) && <Link to="/runs/new">New run</Link>}
          <Link to="/schedules">Schedules</Link>
          {/* viewers may not read integrations, nor anyone but admins outbound webhooks */}
          {canWrite(me.data) && <Link to="/integrations">Integrations</Link>}
          {isAdmin(me.data) && <Link to="/settings/webhooks">Webhooks</Link>}
          <Link to="/settings">Settings</Link>
          <Link to="/stats">Stats</Link>
          <Link to="/hosts">Hosts</Link>
          <Link to="/team">Team</Link>
        </nav>
        {me.data && (
          <div className="who">
            <Link to="/settings/sessions" data-testid="who" title="Your sessions">
              {me.data.user?.name || me.data.user?.email || "API key"} ·{" "}
              <span className="role">{me.data.role}</span>
            </Link>
            <button type="button" className="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {me.error ? (
          <Problem error={me.error} what="Could not read who you are" />
        ) : me.data ? (
          <Outlet />
        ) : (
          <p>Loading…</p>
        )}
      </main>
    </>
  );
}
