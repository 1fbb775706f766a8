ALTER TABLE `runs` ADD `share_team` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `share_public_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `runs_share_public` ON `runs` (`share_public_id`);