import { Link } from "@tanstack/react-router";

export function NotFound() {
  return (
    <main className="page">
      <h1>Not found</h1>
      <p>
        No page here. <Link to="/runs">Go to runs</Link>.
      </p>
    </main>
  );
}
