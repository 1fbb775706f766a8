import { queryOptions, useQuery } from "@tanstack/react-query";
import { fetchMe } from "./api.ts";

/** `GET /me`: also started by the router as a page loads (router.tsx), beside the page's data. */
export const meQuery = queryOptions({ queryKey: ["me"], queryFn: fetchMe, staleTime: 60_000 });

/** The signed-in caller, read once and shared by every screen. */
export const useMe = () => useQuery(meQuery);
