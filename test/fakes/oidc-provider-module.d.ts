// oidc-provider ships no types; the fake (oidc-provider.ts) types the little of it it uses.
declare module "oidc-provider" {
  const Provider: any;
  export default Provider;
}
