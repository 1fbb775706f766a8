-- Who last wrote each piece of shared configuration that executes in other people's runs, and
-- their role then (src/lib/personal-secrets.ts). Rows written before this are given the lowest
-- role that could write them: 'member' for environments and saved prompts, 'admin' for the rest.
ALTER TABLE `environments` ADD `updated_by_role` text DEFAULT 'member' NOT NULL;--> statement-breakpoint
ALTER TABLE `models` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `models` ADD `updated_by_role` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `mcp_servers` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `mcp_servers` ADD `updated_by_role` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `rules` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `rules` ADD `updated_by_role` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `saved_prompts` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `saved_prompts` ADD `updated_by_role` text DEFAULT 'member' NOT NULL;--> statement-breakpoint
ALTER TABLE `env_vars` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `env_vars` ADD `updated_by_role` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `agent_identities` ADD `updated_by` text;--> statement-breakpoint
ALTER TABLE `agent_identities` ADD `updated_by_role` text DEFAULT 'admin' NOT NULL;
