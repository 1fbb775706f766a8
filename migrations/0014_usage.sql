-- The model gateway (src/services/gateway/): whether a team's runs call models through it, the
-- prices of its catalog's models (micro-USD per million tokens; null = the well-known default of
-- src/lib/model-prices.ts), and the ledger of model calls, one row per call, its cost fixed when
-- it was recorded.
ALTER TABLE `teams` ADD `model_gateway` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `models` ADD `input_price` integer;--> statement-breakpoint
ALTER TABLE `models` ADD `output_price` integer;--> statement-breakpoint
ALTER TABLE `models` ADD `cache_read_price` integer;--> statement-breakpoint
ALTER TABLE `models` ADD `cache_write_price` integer;--> statement-breakpoint
CREATE TABLE `model_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`run_id` text NOT NULL,
	`execution_id` integer NOT NULL,
	`member_id` text NOT NULL,
	`model_id` text NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`category` text DEFAULT 'primary_agent' NOT NULL,
	`status` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cache_read_tokens` integer NOT NULL,
	`cache_write_tokens` integer NOT NULL,
	`input_cost` integer NOT NULL,
	`output_cost` integer NOT NULL,
	`cache_read_cost` integer NOT NULL,
	`cache_write_cost` integer NOT NULL,
	`cost` integer NOT NULL,
	`ttfb_ms` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `model_calls_run` ON `model_calls` (`run_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `model_calls_team_created` ON `model_calls` (`team_id`,`created_at`);
