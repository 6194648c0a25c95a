-- History moves off D1 (issue 14): events, deliveries and attempts now live in LogShard Durable Objects,
-- sharded by owner/endpoint × day; D1 keeps a directory of those shards and an owners directory.
-- HookRelay is 0.x with no deployments to carry: history recorded before this migration is not carried over.
DROP TABLE IF EXISTS `attempts`;
--> statement-breakpoint
DROP TABLE IF EXISTS `deliveries`;
--> statement-breakpoint
DROP TABLE IF EXISTS `events`;
--> statement-breakpoint
DROP TABLE IF EXISTS `large_payloads`;
--> statement-breakpoint
CREATE TABLE `history_shards` (
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`day` text NOT NULL,
	`part` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `key`, `day`, `part`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `owners` (
	`owner_id` text PRIMARY KEY NOT NULL,
	`tag` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `owners_tag` ON `owners` (`tag`);
