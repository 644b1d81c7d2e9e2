CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limits_window_idx` ON `rate_limits` (`window_start`);--> statement-breakpoint
CREATE TABLE `refresh_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`family_id` text NOT NULL,
	`respondent_id` integer NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`rotated_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`respondent_id`) REFERENCES `respondents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_sessions_token_hash_unique` ON `refresh_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_sessions_family_idx` ON `refresh_sessions` (`family_id`);--> statement-breakpoint
CREATE TABLE `respondents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`survey_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`username` text NOT NULL,
	`password_hash` text,
	`auth_token` text NOT NULL,
	`redirect_url` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `respondents_survey_username_unique` ON `respondents` (`survey_id`,`username`);--> statement-breakpoint
CREATE UNIQUE INDEX `respondents_auth_token_unique` ON `respondents` (`auth_token`);--> statement-breakpoint
CREATE INDEX `respondents_user_idx` ON `respondents` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `surveys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`locale_id` text DEFAULT 'en_GB' NOT NULL,
	`originating_url` text,
	`support_email` text NOT NULL,
	`state` text DEFAULT 'notStarted' NOT NULL,
	`start_date` integer,
	`end_date` integer,
	`suspension_reason` text,
	`allow_gen_users` integer DEFAULT false NOT NULL,
	`gen_user_key` text,
	`auth_captcha` integer DEFAULT false NOT NULL,
	`auth_modes` text DEFAULT '["username","token"]' NOT NULL,
	`auth_url_token_length` integer DEFAULT 32 NOT NULL,
	`auth_url_token_charset` text,
	`auth_url_domain_override` text,
	`user_personal_identifiers` integer DEFAULT false NOT NULL,
	`user_custom_fields` integer DEFAULT false NOT NULL,
	`maximum_daily_submissions` integer DEFAULT 3 NOT NULL,
	`maximum_total_submissions` integer,
	`minimum_submission_interval` integer DEFAULT 600 NOT NULL,
	`feedback_enabled` integer DEFAULT false NOT NULL,
	`allowed_redirect_origins` text DEFAULT '[]' NOT NULL,
	`jwt_policy` text DEFAULT '{}' NOT NULL,
	`scheme` text DEFAULT '{}' NOT NULL,
	`notifications` text DEFAULT '[]' NOT NULL,
	`webhook_secret` text,
	`generated_user_counter` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `surveys_slug_lower_unique` ON `surveys` (lower("slug"));--> statement-breakpoint
CREATE TABLE `used_token_ids` (
	`survey_id` integer NOT NULL,
	`jti` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`survey_id`, `jti`),
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `used_token_ids_expires_idx` ON `used_token_ids` (`expires_at`);--> statement-breakpoint
CREATE TABLE `user_custom_fields` (
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`public` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`user_id`, `name`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
