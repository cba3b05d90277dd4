import type { ShortName } from './labelStyle.ts';

/**
 * The example buttons: the prototype's four one-line examples (its README; test/model/examples.test.ts checks the
 * model labels each as the prototype did), and one realistic abstract per label, written for this page (not rows
 * of the training file, so they show how the model reads text it has not seen).
 */
export interface Example {
  id: string;
  /** The button's text. */
  name: string;
  label: ShortName;
  kind: 'one-liner' | 'abstract';
  title: string;
  abstract: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'cardio-line',
    name: 'Chest pain',
    label: 'cardio',
    kind: 'one-liner',
    title: '',
    abstract: 'Patient presents with chest pain and elevated troponin levels.',
  },
  {
    id: 'hepato-line',
    name: 'Cirrhosis',
    label: 'hepato',
    kind: 'one-liner',
    title: '',
    abstract: 'Signs of cirrhosis and hepatorenal syndrome.',
  },
  {
    id: 'neuro-line',
    name: 'Neurological deficits',
    label: 'neuro',
    kind: 'one-liner',
    title: '',
    abstract: 'Acute onset neurological deficits with imaging findings.',
  },
  {
    id: 'onco-line',
    name: 'Tumor markers',
    label: 'onco',
    kind: 'one-liner',
    title: '',
    abstract: 'Abnormal tumor markers requiring further oncological workup.',
  },
  {
    id: 'cardio-abstract',
    name: 'Troponin after bypass surgery',
    label: 'cardio',
    kind: 'abstract',
    title: 'High-sensitivity troponin after coronary artery bypass grafting and one-year mortality',
    abstract:
      'Background: The prognostic value of troponin release after cardiac surgery is uncertain. ' +
      'Methods: We studied 1,184 consecutive patients undergoing isolated coronary artery bypass grafting and measured ' +
      'high-sensitivity troponin T before surgery and 6, 12 and 24 hours afterwards. The primary outcome was death from ' +
      'any cause at one year; secondary outcomes were perioperative myocardial infarction, new atrial fibrillation and ' +
      'heart failure hospitalisation. Results: Peak troponin above ten times the upper reference limit was associated ' +
      'with one-year mortality (adjusted hazard ratio 2.3) and with reduced left ventricular ejection fraction on ' +
      'follow-up echocardiography. Conclusions: Early postoperative troponin identifies patients at high cardiovascular ' +
      'risk who may benefit from closer surveillance.',
  },
  {
    id: 'hepato-abstract',
    name: 'Terlipressin in hepatorenal syndrome',
    label: 'hepato',
    kind: 'abstract',
    title: 'Terlipressin and albumin for hepatorenal syndrome in decompensated cirrhosis',
    abstract:
      'Hepatorenal syndrome with acute kidney injury is a severe complication of advanced cirrhosis with ascites. ' +
      'In this randomised trial, 196 patients with decompensated cirrhosis and a rising serum creatinine received ' +
      'terlipressin plus albumin or placebo plus albumin for up to 14 days. Reversal of hepatorenal syndrome, defined ' +
      'as serum creatinine below 1.5 mg/dL on two measurements, occurred in 32% of the terlipressin group and 17% of ' +
      'the placebo group. Fewer patients in the terlipressin group needed renal replacement therapy before liver ' +
      'transplantation. Respiratory failure from fluid overload was the main adverse event, so volume status should ' +
      'be monitored closely.',
  },
  {
    id: 'neuro-abstract',
    name: 'Thrombectomy after stroke',
    label: 'neuro',
    kind: 'abstract',
    title: 'Endovascular thrombectomy beyond six hours in large-vessel ischaemic stroke',
    abstract:
      'Patients with acute ischaemic stroke caused by occlusion of the internal carotid or proximal middle cerebral ' +
      'artery were randomised 6 to 24 hours after they were last known to be well, when perfusion imaging showed a ' +
      'small infarct core and a large region of salvageable brain tissue. Thrombectomy plus standard care improved ' +
      'functional independence at 90 days (modified Rankin scale score 0 to 2: 49% versus 13%). Symptomatic ' +
      'intracranial haemorrhage and mortality did not differ between groups. Selection by imaging rather than by time ' +
      'since onset extends the benefit of thrombectomy to patients presenting late with neurological deficits.',
  },
  {
    id: 'onco-abstract',
    name: 'Adjuvant therapy in colon cancer',
    label: 'onco',
    kind: 'abstract',
    title: 'Circulating tumour DNA to guide adjuvant chemotherapy in stage II colon cancer',
    abstract:
      'Adjuvant chemotherapy after resection of stage II colon cancer benefits few patients. We randomly assigned 455 ' +
      'patients to management guided by circulating tumour DNA four and seven weeks after surgery or to standard ' +
      'management based on clinicopathological features. Patients with a positive test received oxaliplatin-based or ' +
      'fluoropyrimidine chemotherapy. Fewer patients received chemotherapy in the guided group (15% versus 28%), and ' +
      'recurrence-free survival at two years was non-inferior (93.5% versus 92.4%). A positive result after surgery ' +
      'identified patients at high risk of recurrence and metastasis, while a negative result spared most patients ' +
      'the toxicity of treatment.',
  },
];
