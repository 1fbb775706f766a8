import { useQuery } from "@tanstack/react-query";
import { fetchMe } from "./api.ts";

/** The signed-in caller, read once and shared by every screen. */
export const useMe = () => useQuery({ queryKey: ["me"], queryFn: fetchMe, staleTime: 60_000 });
