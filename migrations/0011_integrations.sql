-- Hand-written (issue 17): the integration framework. An integration, the deliveries it received
-- (deduplicated by the sender's id; payloads in R2 for 30 days), the origin threads of its runs,
-- and the run's `trigger_url` (Oz RunItem, 1.1.1), set only by the integration that started it.
CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`enabled` integer NOT NULL,
	`credentials_sealed` text NOT NULL,
	`credential_fields` text NOT NULL,
	`settings` text NOT NULL,
	`run_defaults` text NOT NULL,
	`prompt_template` text,
	`created_by_type` text NOT NULL,
	`created_by_id` text NOT NULL,
	`updated_by_type` text NOT NULL,
	`updated_by_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `integrations_team_name` ON `integrations` (`team_id`,`name`,`id`);--> statement-breakpoint
CREATE TABLE `integration_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`sender_delivery_id` text,
	`event` text NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`run_id` text,
	`redelivery_of` text,
	`thread` text,
	`payload_key` text,
	`received_at` integer NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_deliveries_sender` ON `integration_deliveries` (`integration_id`,`sender_delivery_id`);--> statement-breakpoint
CREATE INDEX `integration_deliveries_list` ON `integration_deliveries` (`integration_id`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `integration_deliveries_payload_expiry` ON `integration_deliveries` (`received_at`) WHERE payload_key IS NOT NULL;--> statement-breakpoint
CREATE TABLE `integration_threads` (
	`integration_id` text NOT NULL,
	`thread_key` text NOT NULL,
	`team_id` text NOT NULL,
	`run_id` text NOT NULL,
	`url` text,
	`state` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`integration_id`, `thread_key`)
);
--> statement-breakpoint
CREATE INDEX `integration_threads_run` ON `integration_threads` (`run_id`);--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_url` text;
