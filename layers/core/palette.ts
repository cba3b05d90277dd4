import { SHORT_NAMES, type ShortName } from './labels.ts';

/**
 * The one label palette of the page, the report and anything else that draws a label: Okabe & Ito's
 * colour-blind-safe hues (vermillion, bluish green, blue, reddish purple stay apart under deuteranopia,
 * protanopia and tritanopia), each with a darker ink of the same hue for text and for chips with white text
 * (contrast ≥ 4.5:1 on white and on the lightest tint), and three tints for highlights.
 *
 *   base  marks and fills (bars, dots, swatches): ≥ 3:1 against white, as WCAG asks of graphics
 *   ink   text in the label's colour, chip backgrounds under white text: ≥ 4.5:1
 *   tint1..tint3  highlight backgrounds, light to strong: body text (#1d2433) on them stays ≥ 7:1
 */
export interface LabelColours {
  base: string;
  ink: string;
  tint1: string;
  tint2: string;
  tint3: string;
}

/** `base` mixed with white: `share` of the base colour. */
function tint(base: string, share: number): string {
  const channel = (i: number) =>
    Math.round(Number.parseInt(base.slice(1 + 2 * i, 3 + 2 * i), 16) * share + 255 * (1 - share))
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

const colours = (base: string, ink: string): LabelColours => ({
  base,
  ink,
  tint1: tint(base, 0.12),
  tint2: tint(base, 0.25),
  tint3: tint(base, 0.45),
});

export const PALETTE: Readonly<Record<ShortName, LabelColours>> = {
  cardio: colours('#d55e00', '#a84a00'),
  hepato: colours('#009e73', '#007256'),
  neuro: colours('#0072b2', '#005f94'),
  onco: colours('#cc79a7', '#9e4a7d'),
};

/** The palette as CSS custom properties (`--b`, `--c` = ink, `--t1`..`--t3`) on one selector per label. */
export function paletteCss(selector: (short: ShortName, index: number) => string): string {
  return SHORT_NAMES.map((short, i) => {
    const c = PALETTE[short];
    return `${selector(short, i)}{--b:${c.base};--c:${c.ink};--t1:${c.tint1};--t2:${c.tint2};--t3:${c.tint3}}`;
  }).join('\n');
}
