import { loadClassifier } from '#core/classifier.ts';
import { EVERYDAY_PARAGRAPHS, EVERYDAY_SENTENCES } from './fixtures/everydayTexts.ts';

const c = await loadClassifier(process.argv[2]);
const texts = [
  ...EVERYDAY_PARAGRAPHS,
  ...EVERYDAY_SENTENCES,
  'Patient presents with chest pain and elevated troponin levels.',
  'Signs of cirrhosis and hepatorenal syndrome.',
  'Acute onset neurological deficits with imaging findings.',
  'Abnormal tumor markers requiring further oncological workup.',
  'Vitamin D supplementation and bone mineral density in postmenopausal women: a randomized trial. We randomized 400 women to vitamin D or placebo for two years and measured bone mineral density at the hip and spine. Bone density did not differ between groups, and fractures were rare in both arms.',
];
const preds = await c.classify(texts, { explain: true });
preds.forEach((p, i) => {
  const top = Math.max(...p.proba);
  const m = p.explanation!;
  console.log(
    `${p.confidence.padEnd(12)} ${p.kind.padEnd(8)} top ${top.toFixed(3)} ${p.labels.join('|').padEnd(6)} [${p.proba.map((x) => x.toFixed(2)).join(' ')}] ${texts[i]!.slice(0, 70)}`,
  );
});
