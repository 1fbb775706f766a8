-- Per-member budgets (docs/gateway.md "Budgets"): a member's own monthly budget in micro-USD in
-- place of the team's per-member default (null: no budget for this member). The team's ledger
-- Durable Object (TeamLedger) keeps a copy, refreshed on every change.
CREATE TABLE `member_budgets` (
	`team_id` text NOT NULL,
	`member_id` text NOT NULL,
	`budget_monthly` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `member_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
