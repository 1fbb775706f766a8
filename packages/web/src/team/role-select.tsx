// The role a new key or a new member gets: only the roles the caller may grant.
import { useId } from "react";
import type { Me } from "../lib/api.ts";
import { grantable, type Role } from "./roles.ts";

export function RoleSelect({ me, initial }: { me: Me; initial: Role }) {
  const id = useId();
  return (
    <span>
      <label htmlFor={id}>Role</label>{" "}
      <select id={id} name="role" defaultValue={initial}>
        {grantable(me).map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </span>
  );
}
