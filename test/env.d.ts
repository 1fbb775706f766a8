declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    JWT_SECRET: string;
    SECRETS_KEY: string;
  }
}
