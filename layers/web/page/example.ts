/** The "Example" button's abstract: a cardiology trial with a renal outcome, so more than one label has evidence. */
export const EXAMPLE = {
  title: 'High-sensitivity troponin and acute kidney injury after coronary artery bypass grafting',
  abstract:
    'Background: Myocardial injury and acute kidney injury are frequent complications of cardiac surgery. ' +
    'Methods: We followed 412 patients undergoing coronary artery bypass grafting and measured high-sensitivity troponin T, ' +
    'serum creatinine and estimated glomerular filtration rate before and 24 hours after surgery. ' +
    'Results: Postoperative troponin elevation was associated with atrial fibrillation, heart failure and a higher incidence of ' +
    'acute kidney injury requiring dialysis. Conclusions: Early troponin measurement identifies patients at risk of ' +
    'cardiovascular and renal complications after bypass surgery.',
} as const;
