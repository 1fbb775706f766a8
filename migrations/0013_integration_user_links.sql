-- Hand-written (issue 18): which team member an outside user (a Slack user) is, and the one-time
-- codes a member mints to make that link (`ambit integration link slack`, then `/ambit link <code>`).
CREATE TABLE `integration_user_links` (
	`integration_id` text NOT NULL,
	`external_user_id` text NOT NULL,
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`integration_id`, `external_user_id`)
);
--> statement-breakpoint
CREATE INDEX `integration_user_links_user` ON `integration_user_links` (`team_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `integration_link_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
