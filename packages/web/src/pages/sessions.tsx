// Your own web sessions (where you are signed in), and ending any of them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";

export function SessionsPage() {
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ["sessions"],
    queryFn: async () => client.auth.sessions.list(),
  });
  const end = useMutation({
    mutationFn: async (uid: string) => client.auth.sessions.delete(uid),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["sessions"] }),
  });
  return (
    <>
      <h1>Your sessions</h1>
      <p className="help">
        Where you are signed in to the console. Ending the current one signs you out here.
      </p>
      <Problem error={sessions.error} what="Could not list your sessions" />
      <Problem error={end.error} what="The session was not ended" />
      {sessions.data && (
        <table className="runs">
          <caption className="sr-only">Your sessions</caption>
          <thead>
            <tr>
              <th scope="col">Browser</th>
              <th scope="col">Signed in</th>
              <th scope="col">Last seen</th>
              <th scope="col">Ends at the latest</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.sessions.map((s) => (
              <tr key={s.uid} data-current={s.current || undefined}>
                <td>
                  {s.user_agent ?? "unknown"}
                  {s.current && <strong> (this one)</strong>}
                </td>
                <td>{formatTime(s.created_at)}</td>
                <td>{formatTime(s.last_seen_at)}</td>
                <td>{formatTime(s.expires_at)}</td>
                <td>
                  <button type="button" onClick={() => end.mutate(s.uid)} disabled={end.isPending}>
                    End session
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
