/**
 * The benchmark's report: a markdown table of every figure with the ratios
 * and goals, a JSON twin (the ratios under "S1/B1", "S2/B1" and "sink/B2"),
 * and a PNG chart of throughput and latency drawn as SVG and photographed by
 * headless Chromium (Debian's package, as the browser test uses).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** One bar of a chart. */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** A goal of the issue and whether the run met it. */
export interface Goal {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean;
}

/** Everything a report holds. */
export interface Report {
  readonly ratios: { readonly 'S1/B1': number; readonly 'S2/B1': number; readonly 'sink/B2': number };
  readonly goals: readonly Goal[];
  /** Rows of the figures table: scenario, then named figures. */
  readonly table: readonly { readonly scenario: string; readonly [figure: string]: string | number }[];
  readonly processes: { readonly [name: string]: { readonly cpuSecondsPerMillion: number; readonly peakRssMb: number } };
  readonly machine: object;
  readonly raw: object;
  readonly throughput: readonly Bar[];
  readonly latency: readonly Bar[];
}

const CHROMIUM = '/usr/bin/chromium';

function markdown(report: Report, started: string): string {
  const columns = [...new Set(report.table.flatMap((row) => Object.keys(row)))];
  const line = (cells: readonly unknown[]) => `| ${cells.join(' | ')} |`;
  return [
    `# Benchmark ${started}`,
    '',
    `Machine: ${JSON.stringify(report.machine)}`,
    '',
    '## Ratios and goals',
    '',
    line(['goal', 'value', 'met']),
    line(['---', '---', '---']),
    ...report.goals.map((g) => line([g.goal, g.value, g.met ? 'yes' : '**no**'])),
    '',
    '## Figures',
    '',
    line(columns),
    line(columns.map(() => '---')),
    ...report.table.map((row) => line(columns.map((c) => row[c] ?? ''))),
    '',
    "## Processes (load of S1, the drain and S2; the stages alone over the drain's stream, per record of it)",
    '',
    line(['process', 'CPU s per million records', 'peak RSS MB']),
    line(['---', '---', '---']),
    ...Object.entries(report.processes).map(([name, p]) => line([name, p.cpuSecondsPerMillion, p.peakRssMb])),
    '',
    '![throughput and latency](./' + `${started}.png)`,
    '',
  ].join('\n');
}

function barsSvg(title: string, unit: string, bars: readonly Bar[], x: number): string {
  const max = Math.max(...bars.map((b) => b.value), 1);
  const rows = bars.map((bar, i) => {
    const y = 50 + i * 34;
    const width = (bar.value / max) * 330;
    return `<text x="${x}" y="${y + 17}" font-size="13" text-anchor="end">${bar.label}</text>
      <rect x="${x + 8}" y="${y}" width="${width}" height="24" fill="#3b6ea8"/>
      <text x="${x + 14 + width}" y="${y + 17}" font-size="12">${bar.value.toLocaleString('en')} ${unit}</text>`;
  });
  return `<text x="${x - 150}" y="28" font-size="16" font-weight="bold">${title}</text>${rows.join('')}`;
}

async function chart(report: Report, path: string): Promise<boolean> {
  if (!existsSync(CHROMIUM)) return false;
  const height = 70 + Math.max(report.throughput.length, report.latency.length) * 34;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="${height}" font-family="sans-serif">
    <rect width="1200" height="${height}" fill="white"/>
    ${barsSvg('Throughput (records/s)', '/s', report.throughput, 170)}
    ${barsSvg('Ack latency (ms)', 'ms', report.latency, 770)}</svg>`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height } });
    await page.setContent(`<body style="margin:0">${svg}</body>`);
    await page.screenshot({ path });
  } finally {
    await browser.close();
  }
  return true;
}

/** Writes <started>.md, .json and .png into `folder`; returns the paths written. */
export async function writeReport(report: Report, folder: string, started: string): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const base = join(folder, started);
  writeFileSync(`${base}.md`, markdown(report, started));
  writeFileSync(`${base}.json`, `${JSON.stringify({ ...report.ratios, ...report }, null, 2)}\n`);
  const written = [`${base}.md`, `${base}.json`];
  if (await chart(report, `${base}.png`)) written.push(`${base}.png`);
  return written;
}
