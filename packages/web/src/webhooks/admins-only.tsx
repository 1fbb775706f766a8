/** What a member or viewer sees of the webhook screens (the API refuses them too). */
export const AdminsOnly = () => (
  <p role="alert" className="problem">
    Outbound webhooks are for the team's admins and owners.
  </p>
);
