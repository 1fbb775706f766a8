-- Hand-written (issue 19): API keys scoped to their job, and service accounts.
-- `scopes` NULL: everything the key's role allows (every key minted before this migration).
-- `pools` NULL: any host pool. A service account's keys name it as principal ('service_account',
-- its id), as a named agent's keys name the agent; the account's role caps its keys' roles.
ALTER TABLE `api_keys` ADD `scopes` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `pools` text;--> statement-breakpoint
CREATE TABLE `service_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`role` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_accounts_team_name` ON `service_accounts` (`team_id`,`name`);
