DROP INDEX `attempts_started`;--> statement-breakpoint
DROP INDEX `deliveries_endpoint`;--> statement-breakpoint
DROP INDEX `deliveries_status_updated`;--> statement-breakpoint
DROP INDEX `deliveries_endpoint_created`;--> statement-breakpoint
CREATE INDEX `deliveries_endpoint_created` ON `deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
DROP INDEX `events_accepted`;