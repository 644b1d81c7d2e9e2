ALTER TABLE `audit_log` ADD `survey` text;--> statement-breakpoint
CREATE INDEX `audit_log_survey_idx` ON `audit_log` (`survey`,`id`);--> statement-breakpoint
-- Rows written before the column: the survey named by the target (slug, or slug/userId) or by the delivery re-sent.
UPDATE `audit_log` SET `survey` = lower(`target`) WHERE `action` LIKE 'survey.%' OR `action` = 'respondent.export-auth-links';--> statement-breakpoint
UPDATE `audit_log` SET `survey` = lower(substr(`target`, 1, instr(`target`, '/') - 1)) WHERE `action` LIKE 'respondent.%' AND instr(`target`, '/') > 0;--> statement-breakpoint
UPDATE `audit_log` SET `survey` = (SELECT lower(`surveys`.`slug`) FROM `webhook_deliveries` JOIN `surveys` ON `surveys`.`id` = `webhook_deliveries`.`survey_id` WHERE `webhook_deliveries`.`id` = `audit_log`.`target`) WHERE `action` = 'delivery.resend';
