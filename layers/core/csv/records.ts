import { InputError, type ProblemDetail } from '../errors.ts';
import { LABELS, parseLabelSet } from '../labels.ts';
import { modelLengthOver, recordText } from '../text.ts';
import { type CsvHeader, MAX_FIELD_CHARS } from './csvHeader.ts';
import type { CsvRecord } from './csvReader.ts';

/**
 * A whole file with a header and no row after it (blank lines do not count): nothing to classify, and metrics over no
 * rows would only be zeros. The CLI, the functions and the page refuse it alike; a slice of a larger file (fan-out)
 * may hold no rows and is not refused.
 */
export function noRowsError(headerLine: number): InputError {
  return new InputError('no_rows', 'the file has a header and no rows: nothing to classify', [
    { line: headerLine, message: 'no rows after the header' },
  ]);
}

/** How many row problems an error lists (the total is always given): the CLI, the functions and the page alike. */
export const MAX_LISTED_PROBLEMS = 100;

export interface CheckedRecord {
  problems: ProblemDetail[];
  /** The model's input: `title + " " + abstract`. */
  text: string;
  title?: string;
  abstract?: string;
  /** Label indices when the file is labelled and the cell is valid. */
  truth?: number[];
}

/** Checks one data record against the header: field count, a non-empty text, valid labels. */
export function checkRecord(fields: string[], line: number, header: CsvHeader): CheckedRecord {
  const problems: ProblemDetail[] = [];
  const width = header.columns.length;
  if (fields.length !== width) {
    problems.push({
      line,
      column: Math.min(fields.length, width) + 1,
      message: `expected ${width} fields (${header.columns.join(header.delimiter)}), found ${fields.length}`,
    });
    return { problems, text: '' };
  }
  let tooLong = false;
  fields.forEach((value, i) => {
    if (value.length <= MAX_FIELD_CHARS) return;
    tooLong = true;
    problems.push({
      line,
      column: i + 1,
      field: header.columns[i]!,
      message: `field of ${value.length} characters; a field may hold at most ${MAX_FIELD_CHARS}`,
    });
  });
  const title = fields[header.titleIndex]!;
  const abstract = fields[header.abstractIndex]!;
  const text = recordText(title, abstract);
  const read = tooLong ? undefined : modelLengthOver(text, MAX_FIELD_CHARS);
  if (read !== undefined) {
    problems.push({
      line,
      column: header.abstractIndex + 1,
      field: 'abstract',
      message: `title + " " + abstract is ${read} characters as the model reads it (after NFKC normalisation); at most ${MAX_FIELD_CHARS}`,
    });
  }
  if (text === '') {
    problems.push({
      line,
      column: header.titleIndex + 1,
      field: 'title',
      message: 'title and abstract are both empty',
    });
  }
  let truth: number[] | undefined;
  if (header.groupIndex !== undefined) {
    const cell = fields[header.groupIndex]!;
    const parsed = parseLabelSet(cell);
    if (!parsed.ok) {
      const what = [
        ...(parsed.unknown.length > 0
          ? [
              `unknown label${parsed.unknown.length > 1 ? 's' : ''} ${parsed.unknown.map((u) => JSON.stringify(u)).join(', ')}`,
            ]
          : []),
        ...(parsed.empty > 0
          ? [`${parsed.empty > 1 ? `${parsed.empty} empty labels` : 'an empty label'} in ${JSON.stringify(cell)}`]
          : []),
      ];
      problems.push({
        line,
        column: header.groupIndex + 1,
        field: 'group',
        message: `${what.join(' and ')}; expected ${LABELS.join(', ')} or their short names, joined by "|"`,
      });
    } else if (parsed.indices.length === 0) {
      problems.push({
        line,
        column: header.groupIndex + 1,
        field: 'group',
        message: 'group is empty; every labelled row needs at least one label',
      });
    } else {
      truth = parsed.indices;
    }
  }
  return { problems, text, title, abstract, ...(truth ? { truth } : {}) };
}

/** Reads a whole labelled CSV (training data): every row valid, or one InputError listing the bad ones. */
export interface LabelledRecords {
  texts: string[];
  truth: number[][];
  titles: string[];
  abstracts: string[];
}

export async function readLabelledRecords(
  records: AsyncIterable<CsvRecord>,
  header: CsvHeader,
  maxProblems = MAX_LISTED_PROBLEMS,
): Promise<LabelledRecords> {
  if (header.groupIndex === undefined) {
    throw new InputError(
      'missing_column',
      `training data needs a "group" column; columns found: ${header.columns.map((c) => JSON.stringify(c)).join(', ')}`,
      [{ line: 1, field: 'group', message: 'missing column "group"' }],
    );
  }
  const texts: string[] = [];
  const truth: number[][] = [];
  const titles: string[] = [];
  const abstracts: string[] = [];
  const problems: ProblemDetail[] = [];
  let count = 0;
  for await (const record of records) {
    const checked = checkRecord(record.fields, record.line, header);
    if (checked.problems.length > 0) {
      count += checked.problems.length;
      problems.push(...checked.problems.slice(0, Math.max(0, maxProblems - problems.length)));
      continue;
    }
    texts.push(checked.text);
    truth.push(checked.truth!);
    titles.push(checked.title ?? '');
    abstracts.push(checked.abstract ?? '');
  }
  if (count > 0) throw new InputError('invalid_rows', `${count} problems in the training data`, problems);
  return { texts, truth, titles, abstracts };
}
