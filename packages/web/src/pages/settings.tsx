// `/settings`: the team's configuration collections, and `/settings/<slug>`: one of them.
import { Link, useParams, useSearch } from "@tanstack/react-router";
import { CollectionPage } from "../settings/collection-page.tsx";
import { RESOURCES, resourceBySlug } from "../settings/resources/index.ts";

export function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <p className="help">
        The team's shared configuration, resolved into each run when it is created.
      </p>
      <ul className="settings-index">
        {RESOURCES.map((r) => (
          <li key={r.slug}>
            <Link to="/settings/$resource" params={{ resource: r.slug }}>
              {r.title}
            </Link>
            <span className="help"> — {r.help}</span>
          </li>
        ))}
        <li>
          <Link to="/settings/webhooks">Outbound webhooks</Link>
          <span className="help"> — the team's events POSTed to your endpoints (admins).</span>
        </li>
        <li>
          <Link to="/settings/audit-log">Audit log</Link>
          <span className="help"> — every write and security event (admins).</span>
        </li>
        <li>
          <Link to="/settings/sessions">Your sessions</Link>
          <span className="help"> — where you are signed in to the console.</span>
        </li>
      </ul>
    </>
  );
}

export function SettingsCollectionPage() {
  const { resource } = useParams({ from: "/app/settings/$resource" });
  const search = useSearch({ from: "/app/settings/$resource" });
  const r = resourceBySlug(resource);
  // keyed: a form left open on one resource does not carry over to the next
  return r ? (
    <CollectionPage key={r.slug} resource={r} search={search} />
  ) : (
    <p role="alert" className="problem">
      No settings named “{resource}”. <Link to="/settings">See them all</Link>.
    </p>
  );
}
