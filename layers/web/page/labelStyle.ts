import { LABELS, type LabelName, SHORT_NAMES, type ShortName } from '#core/labels.ts';

/**
 * One colour class per label, used by the bars, the chips and the highlights alike (page.css defines
 * `.label-<short>`), so a colour means the same label everywhere on the page.
 */
export const labelClass = (short: ShortName): string => `label-${short}`;

export const fullName = (short: ShortName): LabelName => LABELS[SHORT_NAMES.indexOf(short)]!;

export { LABELS, type LabelName, SHORT_NAMES, type ShortName };
