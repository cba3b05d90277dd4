import * as z from 'zod/mini';
import { DEFAULT_TOP_TERMS, MAX_TOP_TERMS } from '#core/explanation.ts';
import { recordText } from '#core/text.ts';
import '#core/zodEnglish.ts';
import type { ApiLimits } from '../config.ts';
import { MAX_EXPLAINED_TERMS, tooLongAfterNfkc } from './requestBounds.ts';

export { MAX_EXPLAINED_TERMS } from './requestBounds.ts';

/**
 * The `POST /predict` request schema, built with `zod/mini`: the predict function validates with it, and
 * `/openapi.json` is generated from the very same object (`z.toJSONSchema`), so the document cannot drift from what
 * the handler accepts. Full zod is 734 KB of the predict bundle (half of it locale files) and most of its cold
 * start; mini shares zod's engine, so issues, paths and messages are the same. The predict function loads this module
 * only for a request that `acceptPredictRequest` (predictRequestFast.ts) does not take as it is: zod alone decides
 * and words what is wrong with a request.
 */

export function predictRequestSchema(limits: ApiLimits) {
  const max = limits.maxTextChars;
  const afterNfkc = (read: string) =>
    `must be at most ${max} characters as the model reads it (after NFKC normalisation it is ${read})`;
  const text = z.string().check(
    z.maxLength(max, `must be at most ${max} characters`),
    z.refine((t) => t.trim().length > 0, 'must not be empty or only whitespace'),
    z.superRefine((t, ctx) => {
      const read = tooLongAfterNfkc(max, t);
      if (read !== undefined) ctx.addIssue({ code: 'custom', message: afterNfkc(read), input: t });
    }),
  );
  const item = z.strictObject({ title: z._default(z.string(), ''), abstract: z._default(z.string(), '') }).check(
    z.refine((i) => recordText(i.title, i.abstract).length > 0, 'title and abstract must not both be empty'),
    z.refine(
      (i) => recordText(i.title, i.abstract).length <= max,
      `title + " " + abstract must be at most ${max} characters`,
    ),
    z.superRefine((i, ctx) => {
      const read = tooLongAfterNfkc(max, recordText(i.title, i.abstract));
      if (read !== undefined)
        ctx.addIssue({ code: 'custom', message: `title + " " + abstract ${afterNfkc(read)}`, input: i });
    }),
    z.meta({ id: 'Item', description: 'One abstract; the model reads `title + " " + abstract`.' }),
  );
  const list = <T extends z.ZodMiniType>(element: T) =>
    z
      .array(element)
      .check(
        z.minLength(1, 'must contain at least one element'),
        z.maxLength(limits.maxTexts, `must contain at most ${limits.maxTexts} elements`),
      );
  return z
    .strictObject({
      texts: z.optional(list(text)).check(
        z.meta({
          description: `Texts to classify (the original project's form). Each at most ${max} characters, counted as the model reads it: in UTF-16 code units after NFKC normalisation (which expands some characters, e.g. U+FDFA to 18).`,
        }),
      ),
      items: z.optional(list(item)).check(z.meta({ description: 'Title/abstract pairs to classify.' })),
      explain: z.optional(z.boolean()).check(
        z.meta({
          description:
            "Add each result's `explanation`: per label, the words that moved its logit. Models whose backend cannot explain answer 400 `explanation_unsupported`.",
        }),
      ),
      explain_top: z
        .optional(
          z
            .number()
            .check(
              z.int('must be an integer'),
              z.gte(1, 'must be at least 1'),
              z.lte(MAX_TOP_TERMS, `must be at most ${MAX_TOP_TERMS}`),
            ),
        )
        .check(
          z.meta({
            description: `How many words per label \`explanation\` lists (default ${DEFAULT_TOP_TERMS}); only with \`"explain": true\`. \`explain_top\` × the number of texts may be at most ${MAX_EXPLAINED_TERMS}.`,
          }),
        ),
    })
    .check(
      z.superRefine((body, ctx) => {
        const forms = Number(body.texts !== undefined) + Number(body.items !== undefined);
        if (forms !== 1)
          ctx.addIssue({ code: 'custom', message: 'give exactly one of "texts" or "items"', path: [], input: body });
        // A count without the switch is most likely a forgotten `explain`: say so instead of ignoring it.
        if (body.explain_top !== undefined && body.explain !== true)
          ctx.addIssue({
            code: 'custom',
            message: 'explain_top needs "explain": true',
            path: ['explain_top'],
            input: body.explain_top,
          });
        const count = (body.texts ?? body.items)?.length ?? 0;
        const top = body.explain_top ?? DEFAULT_TOP_TERMS;
        if (body.explain === true && top * count > MAX_EXPLAINED_TERMS)
          ctx.addIssue({
            code: 'custom',
            message: `explain_top × the number of texts must be at most ${MAX_EXPLAINED_TERMS}, got ${top} × ${count} = ${top * count}; ask for fewer words per label or send fewer texts per request`,
            path: ['explain_top'],
            input: body.explain_top,
          });
      }),
      z.meta({
        id: 'PredictRequest',
        description: `Either {"texts": [...]} or {"items": [{"title", "abstract"}]}, 1..${limits.maxTexts} entries; optionally "explain": true.`,
      }),
    );
}

export type PredictRequest = z.infer<ReturnType<typeof predictRequestSchema>>;
