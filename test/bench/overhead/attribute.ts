import { MASKED_VALUE_PLACEHOLDER } from '@reprise/core';
import {
  DEFAULT_BLOCK_SELECTORS,
  DEFAULT_MASK_SELECTORS,
  DEFAULT_SAMPLING_MOUSEMOVE_MS,
  DEFAULT_SAMPLING_SCROLL_MS,
  DEFAULT_UNMASK_SELECTORS,
  domPrivacy,
} from '@reprise/core/internal';
import { launchBrowser, serve } from '../../harness/index.js';
import { API_ROUTES, APP_HTML } from '../workload/workload.js';
import { RRWEB_PAGE_SCRIPT, RRWEB_SCRIPT } from '../workload/record.js';
import { printTable } from '../lib.js';
import { measure, median, WORKLOAD_MS } from './overhead.js';

/*
 * Where Reprise's capture spends the script time it adds over plain rrweb, by switching its parts
 * off one at a time (test/bench/README.md, "overhead"). Each row is a page of the bench shop; the
 * rows run interleaved, REPRISE_BENCH_ATTRIBUTE_ROUNDS times, and `saves` is what the row's page
 * spends less than `capture` (all parts on), taken per round.
 */
const ROUNDS = Number(process.env.REPRISE_BENCH_ATTRIBUTE_ROUNDS ?? 5);

const captureScript = (options: string) =>
  `<script src="/dist/core/reprise.iife.js"></script><script>window.recorder = Reprise.createRecorder(${options}); window.recorder.start();</script>`;

const NO_REDACTION = '{ emails: false, cards: false, secretFields: false, ssn: false }';

/**
 * rrweb with the options Reprise's DOM capture gives it (`startDomCapture`, capture/dom.ts), its
 * privacy selectors taken from the core itself: the same recorder as plain rrweb, doing the work
 * Reprise's privacy defaults and typing capture ask of it.
 */
function rrwebConfiguredScript(): string {
  const privacy = domPrivacy({
    maskSelectors: [...DEFAULT_MASK_SELECTORS],
    blockSelectors: [...DEFAULT_BLOCK_SELECTORS],
    unmaskSelectors: [...DEFAULT_UNMASK_SELECTORS],
  });
  const options = [
    `maskTextSelector: ${JSON.stringify(privacy.maskTextSelector)}`,
    `blockSelector: ${JSON.stringify(privacy.blockSelector)}`,
    `ignoreSelector: ${JSON.stringify(privacy.ignoreSelector)}`,
    `maskInputOptions: ${JSON.stringify(privacy.maskInputOptions)}`,
    `maskInputFn: (text) => (text ? ${JSON.stringify(MASKED_VALUE_PLACEHOLDER)} : '')`,
    "maskTextFn: (text) => text.replace(/\\S/g, '*')",
    `sampling: { mousemove: ${DEFAULT_SAMPLING_MOUSEMOVE_MS}, scroll: ${DEFAULT_SAMPLING_SCROLL_MS}, input: 'all' }`,
    "recordAfter: 'DOMContentLoaded'",
    'slimDOMOptions: { script: true, comment: true, headFavicon: true, headWhitespace: true }',
    'errorHandler: () => true',
  ];
  return `${RRWEB_SCRIPT}
<script>window.__events = []; rrwebRecord.record({ emit: (e) => window.__events.push(e), ${options.join(', ')} });</script>`;
}

const VARIANTS: Record<string, string> = {
  none: '',
  rrweb: RRWEB_PAGE_SCRIPT,
  'rrweb-configured': rrwebConfiguredScript(),
  capture: captureScript('{}'),
  'capture-no-console': captureScript('{ console: false }'),
  'capture-no-network': captureScript('{ network: false }'),
  'capture-no-breaker': captureScript('{ mutationBreaker: false }'),
  'capture-no-redaction': captureScript(`{ privacy: { redact: ${NO_REDACTION} } }`),
  'capture-dom-only': captureScript(
    `{ console: false, network: false, mutationBreaker: false, errors: false, navigation: 'manual', privacy: { redact: ${NO_REDACTION} } }`,
  ),
};

export async function runOverheadAttribution(): Promise<void> {
  const names = Object.keys(VARIANTS);
  const site = await serve({
    pages: Object.fromEntries(names.map((name) => [`/${name}`, APP_HTML.replace('<body>', `<body>${VARIANTS[name]}`)])),
    routes: API_ROUTES,
  });
  const browser = await launchBrowser();
  const script: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const page = await browser.newPage();
        script[name]!.push((await measure(page, `${site.url}/${name}`)).scriptMs);
        await page.close();
      }
      console.log(
        `round ${round + 1}: ${names.map((name) => `${name} ${script[name]!.at(-1)!.toFixed(0)}`).join(', ')}`,
      );
    }
  } finally {
    await browser.close();
    await site.close();
  }
  const perRound = (name: string, minus: (round: number) => number) =>
    median(script[name]!.map((ms, round) => ms - minus(round))).toFixed(0);
  printTable(
    `Script ms for the standard workload (${WORKLOAD_MS} ms, median of ${ROUNDS}; added and saves taken per round)`,
    ['page', 'script ms', 'added over none', 'saves against capture'],
    names.map((name) => [
      name,
      median(script[name]!).toFixed(0),
      perRound(name, (round) => script.none![round]!),
      name.startsWith('capture-') ? perRound('capture', (round) => script[name]![round]!) : '',
    ]),
  );
}
