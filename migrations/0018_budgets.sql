-- Budgets (docs/gateway.md): the team's monthly budget, each member's monthly budget and the
-- default cap of a run, in micro-USD (null: none). What was spent of them is kept by the team's
-- ledger Durable Object (TeamLedger), summed from the ledger of model calls.
ALTER TABLE `teams` ADD `budget_monthly` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `member_budget_monthly` integer;--> statement-breakpoint
ALTER TABLE `teams` ADD `run_max_cost` integer;
