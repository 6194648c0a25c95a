-- Customer portal links (issue 17): a short-lived, owner-scoped dashboard sign-in. Only the token's
-- SHA-256 is stored; revoked_at is set by DELETE /v1/portal-links/{id} and checked on every request.
CREATE TABLE `portal_links` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`owner_name` text,
	`token_hash` text NOT NULL,
	`read_only` integer DEFAULT false NOT NULL,
	`theme` text,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `portal_links_token_hash` ON `portal_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `portal_links_owner` ON `portal_links` (`owner_id`,`id`);
