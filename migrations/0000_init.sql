CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_owner` ON `api_keys` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`delivery_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`status_code` integer,
	`error` text,
	`response_body` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attempts_delivery_attempt` ON `attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `attempts_endpoint_started` ON `attempts` (`endpoint_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `attempts_started` ON `attempts` (`started_at`);--> statement-breakpoint
CREATE TABLE `config_versions` (
	`owner_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	`redriven_at` integer
);
--> statement-breakpoint
CREATE INDEX `dead_letters_created` ON `dead_letters` (`id`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempts_in_run` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_status_code` integer,
	`last_error` text,
	`last_duration_ms` integer,
	`event_accepted_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_event_endpoint` ON `deliveries` (`event_id`,`endpoint_id`);--> statement-breakpoint
CREATE INDEX `deliveries_endpoint_status` ON `deliveries` (`endpoint_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_endpoint` ON `deliveries` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_owner` ON `deliveries` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_status_updated` ON `deliveries` (`status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `deliveries_status` ON `deliveries` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`secret_enc` text NOT NULL,
	`previous_secret_enc` text,
	`previous_secret_expires_at` integer,
	`timeout_ms` integer NOT NULL,
	`rate_limit` text,
	`max_in_flight` integer DEFAULT 4 NOT NULL,
	`auth_enc` text,
	`retry` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`status` text NOT NULL,
	`disabled_reason` text,
	`disabled_at` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`failing_since` integer,
	`failure_episode` integer DEFAULT 0 NOT NULL,
	`last_attempt_at` integer,
	`last_status_code` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `endpoints_owner` ON `endpoints` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `endpoints_status` ON `endpoints` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`payload_size` integer NOT NULL,
	`source_id` text,
	`idempotency_key` text,
	`accepted_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_owner` ON `events` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_owner_type` ON `events` (`owner_id`,`event_type`,`id`);--> statement-breakpoint
CREATE INDEX `events_type` ON `events` (`event_type`,`id`);--> statement-breakpoint
CREATE INDEX `events_accepted` ON `events` (`accepted_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text,
	`status` text NOT NULL,
	`total` integer NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`error` text,
	`params` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_owner` ON `jobs` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `large_payloads` (
	`event_id` text PRIMARY KEY NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notification_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`owner_id` text,
	`config_enc` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notification_channels_owner` ON `notification_channels` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`channel_id` text NOT NULL,
	`endpoint_id` text,
	`owner_id` text,
	`kind` text NOT NULL,
	`episode` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`tries` integer DEFAULT 0 NOT NULL,
	`details` text DEFAULT '{}' NOT NULL,
	`sent_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_once` ON `notifications` (`channel_id`,`endpoint_id`,`kind`,`episode`);--> statement-breakpoint
CREATE INDEX `notifications_status` ON `notifications` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_owner` ON `notifications` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`owner_id` text NOT NULL,
	`event_type` text,
	`event_type_attribute` text,
	`token_hash` text,
	`token_version` integer DEFAULT 1 NOT NULL,
	`status` text NOT NULL,
	`topic_arn` text,
	`subscription_arn` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sources_owner` ON `sources` (`owner_id`,`id`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`endpoint_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`event_types` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscriptions_endpoint` ON `subscriptions` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_owner` ON `subscriptions` (`owner_id`,`id`);