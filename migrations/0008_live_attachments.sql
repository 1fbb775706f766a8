CREATE TABLE `live_attachments` (
	`conn_id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`run_id` text NOT NULL,
	`principal_id` text NOT NULL,
	`key_id` text,
	`attached_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `live_attachments_principal` ON `live_attachments` (`team_id`,`principal_id`);--> statement-breakpoint
CREATE INDEX `live_attachments_key` ON `live_attachments` (`key_id`);--> statement-breakpoint
CREATE INDEX `live_attachments_run` ON `live_attachments` (`run_id`);
