import { useQuery } from "@tanstack/react-query";
import { client } from "../lib/api.ts";

/** The team's members, one query shared by the members table and the keys' holders. */
export const useMembers = () =>
  useQuery({ queryKey: ["members"], queryFn: async () => client.team.members.list() });
