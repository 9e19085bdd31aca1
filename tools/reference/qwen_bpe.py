"""A minimal Qwen2-style byte-level BPE encoder over a Hugging Face tokenizer.json, enough to turn the fixture's
chat prompt into ids without the tokenizers package: special tokens split first, NFC, the Qwen2 split regex,
GPT-2 byte-to-unicode mapping, then merges applied lowest rank first.

The Qwen2 split pattern uses \\p{L} and \\p{N}, which Python's re lacks (the regex package is not installed here).
QWEN2_SPLIT_RE below rewrites it with \\w classes: letters = [^\\W\\d_], numbers = \\d. That is exact for ASCII text,
so encode() refuses anything else rather than silently diverge.
"""
import json
import re
import unicodedata

QWEN2_SPLIT_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                       r"\s*[\r\n]+|\s+(?!\S)|\s+")
# Same alternatives, same order: [^\r\n\p{L}\p{N}] -> (?:[^\r\n\w]|_) and [^\s\p{L}\p{N}] -> (?:[^\s\w]|_).
QWEN2_SPLIT_RE = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d| ?(?:[^\s\w]|_)+[\r\n]*|"
                            r"\s*[\r\n]+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table (printable Latin-1 bytes map to themselves, the other
    68 bytes to U+0100 onwards in byte order)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class ByteLevelBpe:
    """Encoder for one tokenizer.json (model type BPE, ByteLevel pre-tokenizer)."""

    def __init__(self, tokenizer_json_path):
        with open(tokenizer_json_path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        if model.get("type") != "BPE":
            raise ValueError("%s: model type %s, expected BPE" % (tokenizer_json_path, model.get("type")))
        split = spec["pre_tokenizer"]["pretokenizers"][0]
        if split["pattern"]["Regex"] != QWEN2_SPLIT_PATTERN:
            raise ValueError("%s: split pattern is not Qwen2's; the re translation would not apply" % tokenizer_json_path)
        self.vocab = dict(model["vocab"])
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.special = {t["content"]: t["id"] for t in spec["added_tokens"]}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token.update({i: t for t, i in self.special.items()})
        self.byte_map = bytes_to_unicode()
        self.unbyte_map = {c: b for b, c in self.byte_map.items()}

    def token_id(self, content):
        if content in self.special:
            return self.special[content]
        return self.vocab[content]

    def _bpe(self, symbols):
        symbols = list(symbols)
        while len(symbols) > 1:
            best = None
            for i in range(len(symbols) - 1):
                rank = self.ranks.get((symbols[i], symbols[i + 1]))
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            # One merge at a time, lowest rank and then leftmost, like the tokenizers library's priority queue:
            # a pair created by this merge may outrank a later occurrence of the same pair.
            i = best[1]
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        return symbols

    def encode_plain(self, text):
        """(ids, token strings) for text without special tokens."""
        if not text.isascii():
            raise ValueError("the re-based Qwen2 split is exact for ASCII only: %r" % text)
        text = unicodedata.normalize("NFC", text)
        ids, tokens = [], []
        for piece in QWEN2_SPLIT_RE.findall(text):
            mapped = "".join(self.byte_map[b] for b in piece.encode("utf-8"))
            for token in self._bpe(mapped):
                if token not in self.vocab:
                    raise ValueError("BPE produced %r, which is not in the vocabulary" % token)
                ids.append(self.vocab[token])
                tokens.append(token)
        return ids, tokens

    def encode(self, text):
        """(ids, token strings): special tokens (added_tokens) matched first, longest first, the rest BPE-encoded."""
        ids, tokens = [], []
        specials = sorted(self.special, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(s) for s in specials))
        position = 0
        for match in pattern.finditer(text):
            if match.start() > position:
                more_ids, more_tokens = self.encode_plain(text[position:match.start()])
                ids += more_ids
                tokens += more_tokens
            ids.append(self.special[match.group(0)])
            tokens.append(match.group(0))
            position = match.end()
        if position < len(text):
            more_ids, more_tokens = self.encode_plain(text[position:])
            ids += more_ids
            tokens += more_tokens
        return ids, tokens

    def decode(self, ids):
        """Text for ids (special tokens kept verbatim); ids outside the tokenizer (padding rows) become <id:N>."""
        out = []
        pending = bytearray()
        for i in ids:
            token = self.id_to_token.get(i)
            if token is None or token in self.special:
                if pending:
                    out.append(pending.decode("utf-8", errors="replace"))
                    pending = bytearray()
                out.append(token if token is not None else "<id:%d>" % i)
            else:
                pending += bytes(self.unbyte_map[c] for c in token)
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)


# Qwen2 ids used when a checkpoint has no tokenizer.json (the random-weight 0.5B-shaped checkpoint): the special
# tokens and the role words from llava-onevision.md section 5.2. The question there is a fixed run of arbitrary ids
# (DEFAULT_QUESTION_IDS): with random weights no text means anything, only that both references see the same ids.
QWEN2_IDS = {"<|im_start|>": 151644, "<|im_end|>": 151645, "user": 872, "assistant": 77091, "\n": 198}
DEFAULT_QUESTION_IDS = [51, 52, 53, 54, 55]


def video_chat_text(question):
    """The single-turn video prompt of llava-onevision.md section 5.1, generation prompt included."""
    return "<|im_start|>user\n<video>\n%s<|im_end|>\n<|im_start|>assistant\n" % question


def video_prompt(checkpoint_dir, config, num_frames, question, question_ids=None):
    """The prompt for one video of num_frames frames, as a dict for the manifest:
    text, ids_unexpanded (one <video> id), tokens_unexpanded, input_ids (the <video> id repeated F*196+1 times at 384 px, what
    the model receives), video_token_id, video_token_start, video_token_count, tokenization (how the ids were made).
    """
    import os
    video_id = config["video_token_index"]
    tokenizer_path = os.path.join(checkpoint_dir, "tokenizer.json")
    text = video_chat_text(question)
    if os.path.exists(tokenizer_path):
        bpe = ByteLevelBpe(tokenizer_path)
        ids, tokens = bpe.encode(text)
        if bpe.special.get("<video>") != video_id:
            raise ValueError("tokenizer's <video> id %s differs from config video_token_index %d"
                             % (bpe.special.get("<video>"), video_id))
        how = ("byte-level BPE over %s (tools/reference/qwen_bpe.py): added tokens split out first, NFC, Qwen2 split "
               "regex (re translation, exact for ASCII), GPT-2 byte map, merges lowest rank then leftmost, one at a "
               "time" % os.path.basename(tokenizer_path))
    else:
        question_ids = list(question_ids or DEFAULT_QUESTION_IDS)
        q = QWEN2_IDS
        ids = ([q["<|im_start|>"], q["user"], q["\n"], video_id, q["\n"]] + question_ids +
               [q["<|im_end|>"], q["\n"], q["<|im_start|>"], q["assistant"], q["\n"]])
        tokens = (["<|im_start|>", "user", "\n", "<video>", "\n"] + ["<id:%d>" % i for i in question_ids] +
                  ["<|im_end|>", "\n", "<|im_start|>", "assistant", "\n"])
        how = ("no tokenizer.json: Qwen2 special and role ids from llava-onevision.md 5.2, question replaced by the "
               "fixed arbitrary ids %s" % question_ids)
        text = None
    if ids.count(video_id) != 1:
        raise ValueError("expected exactly one <video> placeholder, found %d" % ids.count(video_id))
    start = ids.index(video_id)
    grid = config["vision_config"]["image_size"] // config["vision_config"]["patch_size"]
    count = num_frames * ((grid + 1) // 2) ** 2 + 1
    input_ids = ids[:start] + [video_id] * count + ids[start + 1:]
    return {"text": text, "question": question if text is not None else None, "tokenization": how,
            "ids_unexpanded": ids, "tokens_unexpanded": tokens, "input_ids": input_ids,
            "video_token_id": video_id, "video_token_start": start, "video_token_count": count}
