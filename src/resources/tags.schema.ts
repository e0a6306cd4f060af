import { z } from 'zod';

const MAX_ENTRIES = 50;

/**
 * Free-form key/value tags (AWS and sandbox), bounded so one chat form cannot
 * bloat a plan or exceed what clouds accept (AWS: 50 tags, 128/256 chars).
 */
export function tagsSchema(label = 'Tags') {
  return z
    .record(
      z.string(),
      z.string({ error: 'tag values must be text' }).max(256, 'tag values must be at most 256 characters'),
    )
    .superRefine((tags, ctx) => {
      const keys = Object.keys(tags);
      if (keys.length > MAX_ENTRIES) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_ENTRIES} tags are allowed (got ${keys.length})` });
      }
      for (const key of keys) {
        // The key is the path so the form can point at the offending tag.
        if (key.length < 1 || key.length > 128) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'tag keys must be 1-128 characters' });
        }
      }
    })
    .optional()
    .describe(label);
}

const GCP_LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const GCP_LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** Google Cloud labels, which are far stricter than AWS tags; checked here so apply never fails on them. */
export function gcpLabelsSchema(label = 'Labels') {
  return z
    .record(
      z.string(),
      z
        .string({ error: 'label values must be text' })
        .regex(GCP_LABEL_VALUE, 'label values must be at most 63 lowercase letters, digits, underscores or dashes'),
    )
    .superRefine((labels, ctx) => {
      const keys = Object.keys(labels);
      if (keys.length > MAX_ENTRIES) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_ENTRIES} labels are allowed (got ${keys.length})` });
      }
      for (const key of keys) {
        if (!GCP_LABEL_KEY.test(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message:
              'label keys must be 1-63 lowercase letters, digits, underscores or dashes, starting with a lowercase letter',
          });
        }
      }
    })
    .optional()
    .describe(label);
}

/** Whether a tag map has anything in it; empty maps are left out of the JSON entirely. */
export function hasEntries(map: Readonly<Record<string, string>> | undefined): map is Record<string, string> {
  return map !== undefined && Object.keys(map).length > 0;
}
