// A small dependency-free SVG writer for the report: horizontal bar charts with a label left of each bar
// and its value right of it. Sections return the chart's data (it goes to raw.json as is); bench/run.ts
// renders it to bench/results/<stamp>-<name>.svg and latest-<name>.svg and embeds it in the report.

export interface Bar {
  label: string;
  value: number;
  /** Bars of the same series share a colour; a legend is drawn when there is more than one series. */
  series?: string;
  /** Shown instead of the formatted value, e.g. "4.9 ops/s (0.52 × floor)". */
  note?: string;
  /** A dashed rule is drawn between neighbouring bars of different groups (e.g. one group per activity cap). */
  group?: string;
}

export interface BarChart {
  /** File name part: <stamp>-<name>.svg; letters, digits and dashes. */
  name: string;
  title: string;
  /** Axis caption, e.g. "operations per second (higher is better)". */
  unit: string;
  bars: Bar[];
}

const PALETTE = ['#3b6fb6', '#e07b39', '#6aa84f', '#8e6bbf', '#c94f4f', '#4fa3a8'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Rough text width for layout: 0.6 em a character is generous for Helvetica at these sizes. */
const textWidth = (s: string, size: number) => Math.ceil(s.length * size * 0.6);

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return v.toFixed(digits);
}

/** A "nice" axis maximum ≥ max (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6 or 8 times a power of ten: quarters stay short). */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * p >= max * (1 - 1e-9)) return m * p;
  return 10 * p;
}

export function renderBarChart(chart: BarChart): string {
  const size = 12;
  const barH = 18;
  const gap = 8;
  const pad = 12;
  const titleH = 24;
  const series = [...new Set(chart.bars.map((b) => b.series ?? ''))];
  const legend = series.length > 1;
  const legendH = legend ? 22 : 0;
  const labelW = Math.min(340, Math.max(60, ...chart.bars.map((b) => textWidth(b.label, size)))) + 10;
  const notes = chart.bars.map((b) => b.note ?? formatValue(b.value));
  const noteW = Math.max(40, ...notes.map((n) => textWidth(n, size))) + 8;
  const plotW = 360;
  const width = pad + labelW + plotW + noteW + pad;
  const top = pad + titleH + legendH;
  const plotH = chart.bars.length * (barH + gap);
  const axisH = 34;
  const height = top + plotH + axisH + pad;
  const max = niceMax(Math.max(0, ...chart.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))));
  const x0 = pad + labelW;
  const scale = (v: number) => (Number.isFinite(v) && v > 0 ? (v / max) * plotW : 0);
  const colour = (b: Bar) => PALETTE[series.indexOf(b.series ?? '') % PALETTE.length]!;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${pad}" y="${pad + 14}" ${FONT} font-size="14" font-weight="bold" fill="#222">${escapeXml(chart.title)}</text>`,
  ];
  if (legend) {
    let x = x0;
    for (const [i, s] of series.entries()) {
      const y = pad + titleH + 2;
      out.push(
        `<rect x="${x}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
        `<text x="${x + 16}" y="${y + 10}" ${FONT} font-size="${size}" fill="#333">${escapeXml(s || '(other)')}</text>`,
      );
      x += 16 + textWidth(s, size) + 18;
    }
  }
  // Grid lines and tick labels at 0, ¼, ½, ¾ and the maximum.
  for (let i = 0; i <= 4; i++) {
    const x = x0 + (plotW * i) / 4;
    out.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + plotH}" stroke="#e4e4e4" stroke-width="1"/>`,
      `<text x="${x}" y="${top + plotH + 14}" ${FONT} font-size="11" fill="#555" text-anchor="middle">${formatValue((max * i) / 4)}</text>`,
    );
  }
  chart.bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = scale(b.value);
    const prev = chart.bars[i - 1];
    if (prev && prev.group !== b.group) {
      out.push(
        `<line x1="${pad}" y1="${y - gap / 2}" x2="${width - pad}" y2="${y - gap / 2}" stroke="#bbb" stroke-width="1" stroke-dasharray="3,3"/>`,
      );
    }
    out.push(
      `<text x="${x0 - 8}" y="${y + barH / 2 + 4}" ${FONT} font-size="${size}" fill="#222" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colour(b)}"><title>${escapeXml(`${b.label}: ${notes[i]}`)}</title></rect>`,
      `<text x="${(x0 + w + 6).toFixed(1)}" y="${y + barH / 2 + 4}" ${FONT} font-size="${size}" fill="#222">${escapeXml(notes[i]!)}</text>`,
    );
  });
  out.push(
    `<line x1="${x0}" y1="${top - 4}" x2="${x0}" y2="${top + plotH}" stroke="#888" stroke-width="1"/>`,
    `<text x="${x0 + plotW / 2}" y="${top + plotH + 30}" ${FONT} font-size="11" fill="#555" text-anchor="middle">${escapeXml(chart.unit)}</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
