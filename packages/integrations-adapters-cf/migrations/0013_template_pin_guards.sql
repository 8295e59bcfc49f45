-- An installation pinned to a version of an organization template is resolved by (organization, slug, version).
-- Two guards keep that join pointing at the template it was installed from, whatever the interleaving of an install
-- and a delete_integration (D1 runs statements one at a time, so each check and its write are atomic):
-- a pinned installation cannot be written for a template that no longer exists, and a template cannot be deleted
-- while any installation of it exists. Without them, a delete racing an install left an orphan whose pin a
-- recreated template of the same slug would serve: another definition, another base URL, no approval.
-- Deleting the organization itself (its cascade) is not held back.
-- Installations already orphaned that way (pinned, their template gone) are disabled first: a template recreated
-- under the slug must not pick them up. (createInstallation also checks the template row's id in its batch.)
UPDATE `installations` SET `status` = 'disabled'
WHERE `kind` = 'template' AND `template_version` IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM `integration_templates` t
  WHERE t.organization_id = `installations`.organization_id AND t.slug = `installations`.source
);
--> statement-breakpoint
CREATE TRIGGER `installations_pinned_template_exists` BEFORE INSERT ON `installations`
WHEN new.kind = 'template' AND new.template_version IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM `integration_templates` t WHERE t.organization_id = new.organization_id AND t.slug = new.source
)
BEGIN
  SELECT RAISE(ABORT, 'installation of a deleted template');
END;
--> statement-breakpoint
CREATE TRIGGER `integration_templates_not_installed` BEFORE DELETE ON `integration_templates`
WHEN EXISTS (
  SELECT 1 FROM `installations` i
  WHERE i.organization_id = old.organization_id AND i.kind = 'template' AND i.source = old.slug
    AND i.template_version IS NOT NULL
) AND EXISTS (SELECT 1 FROM `organizations` o WHERE o.id = old.organization_id)
BEGIN
  SELECT RAISE(ABORT, 'template still installed');
END;
