// Deterministic test strings for the tokenizer fixture and benchmark: hand-written edge cases plus seeded random
// strings (English, code, CJK, Arabic, emoji, combining marks, digits, whitespace, special-token text, lone
// surrogates). Same seed, same strings, on every machine.

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cp = (...points) => String.fromCodePoint(...points);

export const handWritten = [
  '', ' ', '  ', '\n', '\n\n', '\r\n', '\t', ' \t \n', 'a', 'Hello world', 'Hello, world!', '  leading', 'trailing  ',
  'The quick brown fox jumps over the lazy dog.', "I'm sure you'll see they've done it, haven't they? She'd go.",
  "DON'T SHOUT, IT'S LOUD. WE'RE HERE, WE'VE COME, I'M IN, YOU'LL SEE, HE'D KNOW",
  "x'ſt", "it'ſ", "a'ſ b", "'s'S'ſ", "''s", "'", "''", "'re'RE're", "'ll'LL'Ll", "'d'D", "'m'M",
  'What is happening in this video? Describe it in detail.',
  'numbers: 0 1 12 123 1234 12345 3.14159 -42 1e10 0x1F 1,000,000 ١٢٣ ४५६ ⅣⅫ ½ ²³ 𝟘𝟙𝟚',
  '9'.repeat(200), '1234567890'.repeat(30),
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'public static int Main(string[] args)\n{\n\tConsole.WriteLine("héllo");\n\treturn 0;\n}\n',
  '{"key": [1, 2.5, null, true], "nested": {"a": "b\\n"}}',
  '<div class="x">&nbsp;&lt;tag&gt;</div>\n<!-- comment -->',
  'SELECT * FROM users WHERE id = 42 AND name LIKE \'%bob%\';',
  '    indented\n\t\ttabs\n  \n\n\n   \t\n',
  'a  b   c    d     e', 'a\u00a0b\u3000c\u2003d\u2009e\u202ff\u205fg\u1680h',
  '\u0085', 'a\u0085b', '  \u0085', '!\u0085\u0085', '\ufeff', '\ufeff1', 'a \ufeff\ufeff', 'x\ufeff y',
  '\u200b\u200c\u200d\u2060', '\u0000\u0001\u001f\u007f', '\ufffd', '\ue000\uf8ff', cp(0xf0000, 0x10fffd),
  '中文测试：今天天气很好，我们去公园散步吧。', '日本語のテキストです。カタカナとひらがな。', '한국어 텍스트입니다. 안녕하세요!',
  'مرحبا بالعالم، هذا نص عربي. السَّلَامُ عَلَيْكُمْ', 'שָׁלוֹם עוֹלָם', 'नमस्ते दुनिया, यह हिंदी है।', 'สวัสดีครับ ภาษาไทย',
  'Привет, мир! Ёлка', 'Γειά σου Κόσμε', 'Ünïcödé çàfé naïve résumé',
  'e\u0301 a\u0300 o\u0308 n\u0303', 'Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034da\u0317\u0324\u0353\u0319l\u0336\u0328\u0355g\u0337o',
  '\u212b \u2126 \u212a \u1e9b\u0323 \uf900\uf901 \u0958\u0959', '\u1100\u1161\u11a8 \u1100\u1161 \uac00\u11a8', 'q\u0307\u0323 \u1e0b\u0323 \u1e0d\u0307',
  '\u0344 \u0f73 \u0f75 \u0340\u0341', '\u0301abc', 'a\u0301\u0301\u0301',
  '😀😃😄 👍🏽 👩‍👩‍👧‍👦 👨🏿‍💻 🏳️‍🌈 🇺🇸🇯🇵 1️⃣ #️⃣ ❤️ ☺︎', '🧑🏻‍🤝‍🧑🏿', 'text😀text', '😀'.repeat(50),
  '𝐀𝐁𝐂 𝒶𝒷𝒸 abc', '𠀀𠀁𪚥 𝕏', 'ſ ß ẞ ﬁ ﬅ',
  '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  '<|im_start|><|im_end|><|im_start|>', 'x<|im_start|>y', '<|im_start', 'im_start|>', '<|<|im_end|>|>',
  '<video>', '<image>', '<video>\nWhat happens?', '<think>\n\n</think>\n\n', '<tool_call>{"a":1}</tool_call>',
  ' <|endoftext|> ', '<|endoftext|><|endoftext|>', '<|im_start|>system\nYou are a helpful assistant.<|im_end|>',
  '\ud800', '\udc00', 'a\ud800b', '\udc00abc', 'abc\ud83d', '\ud83d\ud83d\ude00', '\ude00\ud83d', 'x\udfff\ud800y',
  'a'.repeat(3000), 'ab'.repeat(2500), 'Supercalifragilisticexpialidocious'.repeat(40), '!'.repeat(500), ' '.repeat(300),
  '\n'.repeat(100), '\r\n'.repeat(50), '\t'.repeat(64), '-'.repeat(120), '='.repeat(80) + '\n',
  'https://example.com/path?query=1&x=%20#frag', 'user@example.com', 'C:\\Program Files\\dotnet\\dotnet.exe',
  '$ ls -la | grep foo && echo "done" > /dev/null 2>&1', '@@ -1,4 +1,5 @@\n-old\n+new\n', '¡¿Qué?!', '«quotes» “curly” ‘single’',
];

const englishWords = ('the of and to in is that it for was on are as with his they at be this from have or by one had not but what ' +
  'all were when we there can an your which their said if do will each about how up out them then she many some so these ' +
  'would other into has more her two like him see time could no make than first been its who now people my made over did down ' +
  'only way find use may water long little very after words called just where most know get through back much before go good ' +
  'new write our used me man too any day same right look think also around another came come work three word must because does ' +
  'part video frame scene person walking camera shows describe happens tokenizer transformer attention').split(' ');
const codeFragments = ['{', '}', '(', ')', '[', ']', ';', '=>', '==', '!=', '&&', '||', '+=', '++', '->', '::', '#include',
  'int', 'var', 'let', 'const', 'return', 'if', 'else', 'for', 'while', 'self.', 'this.', 'null', 'None', '0x', '//', '/*', '*/',
  '"', "'", '`', '\\n', '\\"', '<', '>', '</', '/>', '_', '__init__', 'camelCase', 'snake_case', 'SCREAMING_CASE'];
const whitespace = [' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n', '\n ', '\u00a0', '\u3000', '\u2009', '\u0085', '\ufeff'];
const specials = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|im_start|>user\n', '<|im_start|>assistant\n', '<video>', '<image>', '<|im_start', '|>'];
const emoji = ['😀', '🎉', '👍', '👍🏻', '👍🏿', '🙏🏾', '👩‍💻', '👨‍👩‍👧', '👩‍❤️‍💋‍👨', '🏳️‍⚧️', '🇩🇪', '🇨🇳', '❤️', '✔️', '⭐', '🔥', '🤖', '🧠', '0️⃣', '©️'];
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D", "'ſ"];

// Blocks assigned by Unicode 12 (so every reference agrees on their properties), with weights.
const blocks = [
  [0x20, 0x7e, 10], [0xa0, 0xff, 3], [0x100, 0x24f, 2], [0x370, 0x3ff, 1], [0x400, 0x4ff, 2], [0x590, 0x5ea, 1],
  [0x600, 0x6ff, 2], [0x900, 0x97f, 1], [0xe00, 0xe5b, 1], [0x1100, 0x11ff, 1], [0x1e00, 0x1eff, 1], [0x2000, 0x206f, 1],
  [0x2190, 0x23ff, 1], [0x3040, 0x30ff, 2], [0x4e00, 0x9fa5, 6], [0xac00, 0xd7a3, 3], [0xf900, 0xfa2d, 1], [0xff00, 0xffef, 1],
  [0x300, 0x36f, 2], [0x1f300, 0x1f64f, 2], [0x1d400, 0x1d7ff, 1], [0x20000, 0x2a6d6, 1], [0x1f900, 0x1f9ff, 1],
];

function pick(r, items) { return items[Math.floor(r() * items.length)]; }

function randomCodePoint(r) {
  const total = blocks.reduce((s, b) => s + b[2], 0);
  let x = r() * total;
  for (const [lo, hi, w] of blocks) {
    if ((x -= w) < 0) return lo + Math.floor(r() * (hi - lo + 1));
  }
  return 0x41;
}

function randomScriptRun(r, length) {
  let s = '';
  while (s.length < length) s += cp(randomCodePoint(r));
  return s;
}

function randomMix(r, length, withSurrogates) {
  let s = '';
  while (s.length < length) {
    const k = r();
    if (k < 0.35) s += pick(r, englishWords);
    else if (k < 0.50) s += pick(r, whitespace);
    else if (k < 0.58) s += pick(r, codeFragments);
    else if (k < 0.66) s += String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 8))));
    else if (k < 0.72) s += pick(r, emoji);
    else if (k < 0.76) s += pick(r, contractions);
    else if (k < 0.79) s += pick(r, specials);
    else if (k < 0.81 && withSurrogates) s += pick(r, ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d']);
    else s += randomScriptRun(r, 1 + Math.floor(r() * 12));
  }
  return s;
}

/** Random strings: `count` of them, from `seed`. Lengths mostly short, some long. */
export function randomStrings(seed, count) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const roll = r();
    const length = roll < 0.6 ? 1 + Math.floor(r() * 40) : roll < 0.95 ? 40 + Math.floor(r() * 400) : 400 + Math.floor(r() * 3000);
    const kind = r();
    if (kind < 0.55) out.push(randomMix(r, length, true));
    else if (kind < 0.80) out.push(randomScriptRun(r, length));
    else if (kind < 0.90) out.push(Array.from({ length: Math.ceil(length / 6) }, () => pick(r, englishWords)).join(' '));
    else out.push(Array.from({ length: Math.ceil(length / 3) }, () => pick(r, [...codeFragments, ...whitespace, ...emoji])).join(''));
  }
  return out;
}

/** Documents for the benchmark: mixed text of at least `totalBytes` UTF-8 bytes in all, without lone surrogates. */
export function benchmarkDocuments(seed, totalBytes) {
  const r = rng(seed);
  const docs = [];
  let size = 0;
  while (size < totalBytes) {
    const kind = r();
    const length = 500 + Math.floor(r() * 8000);
    let doc;
    if (kind < 0.45) doc = Array.from({ length: Math.ceil(length / 6) }, () => pick(r, englishWords) + (r() < 0.08 ? pick(r, ['.', ',', '\n', '!', '?']) : '')).join(' ');
    else if (kind < 0.65) doc = randomMix(r, length, false);
    else if (kind < 0.80) doc = Array.from({ length: Math.ceil(length / 4) }, () => pick(r, [...codeFragments, ...englishWords, ...whitespace])).join(r() < 0.5 ? ' ' : '');
    else doc = randomScriptRun(r, length);
    docs.push(doc);
    size += Buffer.byteLength(doc, 'utf8');
  }
  return docs;
}
