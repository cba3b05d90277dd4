import { describe, expect, it } from 'vitest';
import { inSampleCheck } from '#core/inSample.ts';
import { LabelSetCounts } from '#core/labelSets.ts';
import { computeMetrics } from '#core/metrics.ts';
import { PALETTE } from '#core/palette.ts';
import { type ReportInput, renderHtmlReport, renderTextReport, zoomedAxis } from '#core/report.ts';

// The worked example of test/metrics.test.ts: weighted F1 = 74/105 = 0.70476… → "0.7048".
const metrics = computeMetrics([[0], [0, 1], [2], [3], [1, 2]], [[0], [0], [2, 3], [0], [1, 2]]);

function unlabelledInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    source: 'trial.csv',
    model: { name: 'default', version: '1.2.0', backend: 'linear' },
    rows: 5,
    predictedCounts: [3, 1, 2, 1],
    kinds: [],
    ...overrides,
  };
}

function labelledInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return unlabelledInput({ metrics, ...overrides });
}

describe('renderTextReport', () => {
  it('puts the weighted F1 first, right after the header', () => {
    // Act
    const lines = renderTextReport(labelledInput()).split('\n');
    // Assess
    expect(lines.slice(0, 6)).toEqual([
      'Clinical abstract classifier report',
      'Source: trial.csv',
      'Model:  default@1.2.0 (linear)',
      'Rows:   5',
      '',
      'Weighted F1: 0.7048',
    ]);
  });

  it('has the per-label table, averages, subset accuracy, Hamming loss and confusion matrices, in that order', () => {
    // Act
    const text = renderTextReport(labelledInput());
    // Assess
    const order = ['Weighted F1', 'Per label', 'Averages', 'Subset accuracy', 'Hamming loss', 'Confusion matrices'];
    const positions = order.map((heading) => text.indexOf(heading));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('shows per-label scores and averages with 4 decimals', () => {
    // Act
    const text = renderTextReport(labelledInput());
    // Assess: cardiovascular P 2/3, R 1, F1 4/5, support 2; macro F1 37/60 = 0.61666…
    expect(text).toMatch(/^cardiovascular +0\.6667 +1\.0000 +0\.8000 +2$/m);
    expect(text).toMatch(/^macro +0\.6667 +0\.6250 +0\.6167$/m);
    expect(text).toContain('Subset accuracy: 0.4000');
    expect(text).toContain('Hamming loss:    0.2000');
  });

  it('draws each label’s confusion matrix with actual rows and predicted columns', () => {
    // Act
    const text = renderTextReport(labelledInput());
    // Assess: cardiovascular tp 2, fn 0, fp 1, tn 2
    expect(text).toMatch(/^cardiovascular +predicted yes +predicted no\n {2}actual yes +2 +0\n {2}actual no +1 +2$/m);
  });

  it('lists predicted label counts and no metrics when the file has no group column', () => {
    // Act
    const text = renderTextReport(unlabelledInput());
    // Assess
    expect(text).toContain('Predicted label counts');
    expect(text).toMatch(/^cardiovascular +3 +0\.6000$/m);
    for (const heading of ['Weighted F1', 'Per label', 'Averages', 'Subset accuracy', 'Hamming loss', 'Confusion']) {
      expect(text).not.toContain(heading);
    }
  });

  it('shows control characters from the input instead of letting them break the layout', () => {
    // Act
    const text = renderTextReport(unlabelledInput({ source: 'a\nb\u001b[31m.csv' }));
    // Assess
    expect(text).toContain('Source: a\\u000ab\\u001b[31m.csv\n');
  });

  it('is exactly this text for the worked example: no clock, no path, nothing that changes between runs', () => {
    // Act
    const text = renderTextReport(labelledInput());
    // Assess: the whole per-label section, byte for byte (a timestamp or a reordering would change it).
    expect(text).toContain(
      [
        'Per label         precision     recall         f1    support',
        'cardiovascular       0.6667     1.0000     0.8000          2',
        'hepatorenal          1.0000     0.5000     0.6667          2',
        'neurological         1.0000     1.0000     1.0000          2',
        'oncological          0.0000     0.0000     0.0000          1',
      ].join('\n'),
    );
    expect(
      text.endsWith(
        'oncological       predicted yes   predicted no\n  actual yes                  0              1\n  actual no                   1              3\n',
      ),
    ).toBe(true);
  });
});

describe('renderHtmlReport', () => {
  it('is one self-contained page with no external resources', () => {
    // Act
    const html = renderHtmlReport(labelledInput());
    // Assess
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc=|\shref=/i);
  });

  // Issue 17 changed the chart: dots on an axis zoomed to the scores (was bars on 0–1 with values on top).
  it('draws precision, recall and F1 per label as dots, a confusion matrix per label and the averages table', () => {
    // Act
    const html = renderHtmlReport(labelledInput());
    // Assess
    expect(html).toContain('Weighted F1 <strong>0.7048</strong>');
    expect(html).toContain('aria-label="Precision, recall and F1 per label, on an axis from 0.00 to 1"');
    expect(html).toContain('<title>cardiovascular precision: 0.6667</title>');
    for (const label of ['cardiovascular', 'hepatorenal', 'neurological', 'oncological']) {
      expect(html).toContain(`aria-label="Confusion matrix for ${label}"`);
    }
    expect(html).toContain('<title>true positives: 2</title>');
    expect(html).toContain('<h2>Averages</h2>');
    expect(html).toContain('<th>samples</th><td>0.7000</td><td>0.7000</td><td>0.6667</td>');
  });

  it('draws predicted counts instead of metrics when the file has no group column', () => {
    // Act
    const html = renderHtmlReport(unlabelledInput());
    // Assess
    expect(html).toContain('aria-label="Predicted label counts"');
    expect(html).not.toContain('Weighted F1');
    expect(html).not.toContain('Confusion matrix');
  });

  it("escapes the file name and the model's name and version", () => {
    // Prepare
    const input = labelledInput({
      source: 'x<script>alert(1)</script>.csv',
      model: { name: 'bad "value" & <img src=x onerror=alert(1)>', version: '<b>', backend: 'linear' },
    });
    // Act
    const html = renderHtmlReport(input);
    // Assess
    expect(html).toContain('x&#60;script&#62;alert(1)&#60;/script&#62;.csv');
    expect(html).toContain('bad &#34;value&#34; &#38; &#60;img src=x onerror=alert(1)&#62;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
  });

  it('is exactly this page head for the worked example: nothing that changes between runs', () => {
    // Act
    const html = renderHtmlReport(labelledInput());
    // Assess
    expect(html.slice(0, html.indexOf('<style>'))).toBe(
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
        '<title>Clinical abstract classifier report: trial.csv</title>\n',
    );
    expect(html).toContain(
      '<dl>\n<dt>Source</dt><dd>trial.csv</dd>\n<dt>Model</dt><dd>default@1.2.0 (linear)</dd>\n<dt>Rows</dt><dd>5</dd>\n</dl>',
    );
  });

  it("colours each label as the page does: the one palette's ink on chips, its tint under highlights", () => {
    // Act
    const html = renderHtmlReport(labelledInput());
    // Assess
    expect(html).toContain(`.l0{--b:${PALETTE.cardio.base};--c:${PALETTE.cardio.ink};`);
    expect(html).toContain(`.l3{--b:${PALETTE.onco.base};--c:${PALETTE.onco.ink};`);
    expect(html).toContain(
      '.chip{display:inline-block;padding:0 .4rem;border-radius:.6rem;color:#fff;background:var(--c)',
    );
  });

  it('lets tables scroll inside their box and shrinks the charts, so a phone never scrolls the page sideways', () => {
    const html = renderHtmlReport(labelledInput());
    expect(html).toContain('.scroll{max-width:100%;overflow-x:auto}');
    expect(html).toContain('svg{font-size:12px;display:block;margin:1rem 0;max-width:100%;height:auto}');
    expect(html).toMatch(/<div class="scroll"><table class="numbers">/);
  });
});

describe('the zoomed axis of the scores chart', () => {
  it.each([
    [[0.96, 0.97, 1], 0.95, 0.01],
    [[0.993, 1], 0.98, 0.01],
    [[0.8, 0.9], 0.75, 0.05],
    [[0.2, 0.9], 0.1, 0.1],
    [[0, 0.5], 0, 0.1],
  ])('starts below the lowest of %j, at %d, with ticks every %d', (values, from, step) => {
    expect(zoomedAxis(values)).toEqual({ from, step });
  });

  it('prints the range it shows, so a zoomed axis is never read as 0 to 1', () => {
    const high = computeMetrics([[0], [1], [2], [3], [0], [1], [2], [3]], [[0], [1], [2], [3], [0], [1], [2], [0, 3]]);
    const html = renderHtmlReport(labelledInput({ metrics: high }));
    expect(html).toMatch(/axis 0\.\d0 to 1\.00 \(zoomed: 0 is off the left edge\)/);
  });
});

describe('the label-set table', () => {
  const sets = new LabelSetCounts();
  for (const [truth, predicted] of [
    [[2, 3], [3]],
    [[2, 3], [3]],
    [
      [2, 3],
      [2, 3],
    ],
    [[0], [0]],
    [[0], []],
  ] as [number[], number[]][])
    sets.add(truth, predicted);
  const input = labelledInput({ labelSets: sets.rows() });

  it('lists each true label set with its exact hits and what else it was predicted as, in report.txt', () => {
    const text = renderTextReport(input);
    expect(text).toContain('neurological|oncological       3        1  → oncological 2');
    expect(text).toContain('cardiovascular                 2        1  → (none) 1');
  });

  it('shows the same in report.html, with label chips', () => {
    const html = renderHtmlReport(input);
    expect(html).toContain('<h2>Label sets</h2>');
    expect(html).toContain(
      '<tr><th><span class="chip l2">neuro</span><span class="chip l3">onco</span></th><td>3</td><td>1</td><td class="sets"><ul><li><span class="chip l3">onco</span> 2</li></ul></td></tr>',
    );
  });
});

describe('the in-sample warning', () => {
  const sha = 'a'.repeat(64);

  it('leads both reports when the file is the training file', () => {
    const check = inSampleCheck({ sha256: sha }, { sha256: sha, rows: 5 });
    const text = renderTextReport(labelledInput({ inSample: check }));
    const html = renderHtmlReport(labelledInput({ inSample: check }));
    expect(text.split('\n')[5]).toMatch(/^WARNING: In-sample: this file is the model's training file/);
    expect(html).toContain(
      '<p class="in-sample" role="note"><strong>In-sample scores.</strong> This file is the model',
    );
    expect(html.indexOf('in-sample')).toBeLessThan(html.indexOf('Weighted F1 <strong>'));
  });

  it('is absent for a file that shares no row with the training data', () => {
    const check = inSampleCheck({ sha256: sha }, { sha256: 'b'.repeat(64), rows: 5 });
    expect(renderTextReport(labelledInput({ inSample: check }))).not.toContain('In-sample');
    expect(renderHtmlReport(labelledInput({ inSample: check }))).not.toContain('class="in-sample');
  });
});

describe('metrics by kind of text', () => {
  const byKind = labelledInput({
    kinds: [
      { kind: 'real', rows: 3, metrics: computeMetrics([[0], [0, 1], [2]], [[0], [0], [2, 3]]) },
      { kind: 'snippet', rows: 2, metrics: computeMetrics([[3], [1, 2]], [[0], [1, 2]]) },
    ],
  });

  it('lists each kind present with its rows and its own weighted F1 in report.txt', () => {
    // Act
    const text = renderTextReport(byKind);
    // Assess
    const section = text.slice(text.indexOf('By kind of text'));
    expect(section).toMatch(/real \(real abstracts\)\s+3\s+0\.\d{4}/);
    expect(section).toMatch(/snippet \(titles and one-liners\)\s+2\s+0\.6667/);
    expect(section).not.toContain('template');
  });

  it('shows the same table in report.html, and only row counts for an unlabelled file', () => {
    // Act
    const html = renderHtmlReport(byKind);
    const unlabelled = renderTextReport(unlabelledInput({ kinds: [{ kind: 'template', rows: 5 }] }));
    // Assess
    expect(html).toContain('<h2>By kind of text</h2>');
    expect(html).toContain('<th>snippet (titles and one-liners)</th><td>2</td><td>0.6667</td>');
    expect(unlabelled).toMatch(/template \(synthetic template texts\)\s+5\n/);
    expect(unlabelled).not.toContain('weighted F1');
  });
});

describe('renderHtmlReport: errors to look at', () => {
  // Row text: "<script>x</script> Troponin & <img src=x onerror=alert(1)>"; spans point into it.
  const text = '<script>x</script> Troponin & <img src=x onerror=alert(1)>';
  const troponin: [number, number] = [text.indexOf('Troponin'), text.indexOf('Troponin') + 8];
  const row = {
    line: 7,
    title: '<script>x</script>',
    abstract: 'Troponin & <img src=x onerror=alert(1)>',
    text,
    truth: [3],
    predicted: [0],
    proba: [0.91, 0.02, 0.03, 0.2],
    error: 0.91,
    kind: 'real' as const,
    evidence: [
      { label: 0, terms: [{ text: 'troponin', weight: 1.5, spans: [troponin] }] },
      { label: 3, terms: [{ text: 'troponin', weight: -0.25, spans: [troponin] }] },
    ],
  };

  it('lists each misclassified row with its line, title, true and predicted labels, probabilities and highlighted evidence', () => {
    const html = renderHtmlReport(labelledInput({ misclassified: [row] }));
    const section = html.slice(html.indexOf('<h2>Errors to look at</h2>'));
    expect(section).toContain('Line 7:');
    expect(section).toMatch(/True: <span class="chip l3">oncological<\/span>/);
    expect(section).toMatch(/Predicted: <span class="chip l0">cardiovascular<\/span>/);
    expect(section).toContain('cardio 0.910');
    expect(section).toContain('<mark class="l0" title="cardio +1.50; onco -0.25">Troponin</mark>');
    expect(section).toContain('cardio: troponin +1.50; onco: troponin -0.25');
  });

  it('shows markup in titles and abstracts as text', () => {
    const html = renderHtmlReport(labelledInput({ misclassified: [row] }));
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('says how many rows are wrong in all, and that rows are not highlighted when the model cannot explain', () => {
    const { evidence: _, ...unexplained } = row;
    const html = renderHtmlReport(labelledInput({ misclassified: [unexplained] }));
    // The worked example: subset accuracy 0.4 over 5 rows, so 3 rows are wrong and one is listed.
    expect(html).toContain('The 1 worst of 3 misclassified rows');
    expect(html).toContain('does not explain its predictions');
    expect(html).not.toContain('<mark');
  });

  it('offers filters by label and by kind that work without a script (radio buttons read by CSS :has)', () => {
    const second = { ...row, line: 9, truth: [1], predicted: [1, 2], kind: 'snippet' as const };
    const html = renderHtmlReport(labelledInput({ misclassified: [{ ...row, kind: 'real' }, second] }));
    expect(html).toContain('<article class="error has-l0 has-l3 kind-real">');
    expect(html).toContain('<article class="error has-l1 has-l2 kind-snippet">');
    expect(html).toContain('<input type="radio" name="f-label" id="f-label-2">');
    expect(html).toContain('<input type="radio" name="f-kind" id="f-kind-snippet">');
    expect(html).toContain('body:has(#f-label-2:checked) .error:not(.has-l2){display:none}');
    expect(html).toContain('body:has(#f-kind-snippet:checked) .error:not(.kind-snippet){display:none}');
    expect(html).not.toMatch(/<script/i);
  });

  it('has no such section without labels or without collected rows', () => {
    expect(renderHtmlReport(unlabelledInput({ misclassified: [row] }))).not.toContain('Errors to look at');
    expect(renderHtmlReport(labelledInput())).not.toContain('Errors to look at');
  });
});
