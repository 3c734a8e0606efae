// A histogram of float values as bars with the dequantized values as a step line on the
// same bins, and dashed lines where the quantized range ends (the clip range).
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { Histogram } from '../engine/types';
import { themeColor } from './chart-view';

// Vertical lines at values inside [lo, hi], on the category axis.
const clipLines = (histogram: Histogram, color: string): Plugin<'bar' | 'line'> => ({
  id: 'clipLines',
  afterDatasetsDraw(chart) {
    if (!histogram.clip_range) return;
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.setLineDash([5, 4]);
    for (const v of histogram.clip_range) {
      const x = scales.x.getPixelForDecimal((v - histogram.lo) / (histogram.hi - histogram.lo));
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
    }
    ctx.restore();
  },
});

// Colors come from `host`'s theme variables; with no dequantized counts, only the bars.
export function histogramChartConfig(host: Element, h: Histogram, title: string, logarithmic = true): ChartConfiguration<'bar' | 'line'> {
  const width = (h.hi - h.lo) / h.float.length;
  const labels = h.float.map((_, i) => (h.lo + (i + 0.5) * width).toPrecision(3));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: 'float', data: h.float, backgroundColor: themeColor(host, '--qp-float', '#2f7dd1'), barPercentage: 1,
          categoryPercentage: 1, grouped: false },
        ...(h.dequantized.length ? [{ type: 'line' as const, label: 'dequantized', data: h.dequantized,
          borderColor: themeColor(host, '--qp-quant', '#e0702b'), borderWidth: 2, stepped: 'middle' as const, pointRadius: 0 }] : []),
      ],
    },
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: { title: { display: true, text: title } },
      scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { type: logarithmic ? 'logarithmic' : 'linear', title: { display: true, text: 'count' } } },
    },
    plugins: [clipLines(h, themeColor(host, '--qp-text', '#1d1f24'))],
  };
}

// Float and dequantized values counted on `bins` equal bins over [lo, hi] (outer bins take the rest).
export function histogramOf(values: ArrayLike<number>, dequantized: ArrayLike<number>, lo: number, hi: number, bins = 64,
                            clip?: [number, number]): Histogram {
  const float = new Array<number>(bins).fill(0), deq = new Array<number>(bins).fill(0);
  const bin = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo || 1)) * bins)));
  for (let i = 0; i < values.length; i++) {
    float[bin(values[i])]++;
    deq[bin(dequantized[i])]++;
  }
  return { lo, hi, float, dequantized: deq, clip_range: clip };
}
