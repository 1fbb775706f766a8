// The role a new key, member or service account gets: only the roles the caller may grant.
import { useId } from "react";
import type { Me } from "../lib/api.ts";
import { grantable, type Role } from "./roles.ts";

export function RoleSelect(props: { me: Me; initial: Role; exclude?: Role }) {
  const { me, initial, exclude } = props;
  const id = useId();
  return (
    <span>
      <label htmlFor={id}>Role</label>{" "}
      <select id={id} name="role" defaultValue={initial}>
        {grantable(me, exclude).map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </span>
  );
}
