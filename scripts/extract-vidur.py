#!/usr/bin/env python3
"""Extract the medians the kernel validation needs from Vidur's A100 and H100 profiling data (microsoft/vidur, MIT,
commit 7d47513363ec447a741ac5e47241580b47724fbf).

usage: python3 scripts/extract-vidur.py [--device a100|h100] SOURCE_DIR DEST
DEST: services/HardwareEmulator.Domain/Data/vidur-<device>.
SOURCE_DIR holds Vidur's data/profiling/compute/<device>/<org>/<model>/mlp.csv files renamed mlp_<model>.csv, and
(a100 only) data/profiling/network/a100_dgx/{all_reduce,send_recv}.csv. Only the median columns and the shape columns
are kept; times stay in milliseconds, rounded to 0.1 µs (the source resolution is 1 µs). Rows are not filtered or
merged. The h100 folder has compute ops only (no collectives).
"""
import csv
import sys

OPS = ["input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj", "post_attention_layernorm",
       "mlp_up_proj", "mlp_act", "mlp_down_proj", "add"]
MODELS = {
    "a100": ["Llama-2-7b-hf", "Meta-Llama-3-8B", "CodeLlama-34b-Instruct-hf", "Llama-2-70b-hf"],
    # Every gated-MLP model Vidur profiled on H100 (phi-2, not gated, is left out: its shapes differ).
    "h100": ["Llama-2-7b-hf", "CodeLlama-34b-Instruct-hf", "Llama-2-70b-hf", "internlm-20b", "Qwen-72B"],
}


def ms(v):
    return f"{float(v):.4f}".rstrip("0").rstrip(".")


def main(device, src, dst):
    with open(f"{dst}/mlp.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["model", "n_head", "n_kv_head", "n_embd", "n_expanded_embd", "num_tokens", "tp"]
                   + [f"{o}_ms" for o in OPS])
        for m in MODELS[device]:
            for r in csv.DictReader(open(f"{src}/mlp_{m}.csv")):
                assert r["use_gated_mlp"] == "True"
                w.writerow([m, r["n_head"], r["n_kv_head"], r["n_embd"], r["n_expanded_embd"], r["num_tokens"],
                            r["num_tensor_parallel_workers"]]
                           + [ms(r[f"time_stats.{o}.median"]) for o in OPS])
    if device != "a100":
        return
    with open(f"{dst}/collectives.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["collective", "num_workers", "devices_per_node", "size_bytes", "median_ms"])
        for c in ["all_reduce", "send_recv"]:
            for r in csv.DictReader(open(f"{src}/{c}.csv")):
                # Vidur's profiler writes the fp16 element count × 2 into "size" (bytes; its predictor divides
                # by 2 × hidden to get tokens).
                w.writerow([c, r["num_workers"], r["devices_per_node"], r["size"],
                            ms(r[f"time_stats.{c}.median"])])


if __name__ == "__main__":
    args = sys.argv[1:]
    dev = "a100"
    if args[0] == "--device":
        dev, args = args[1], args[2:]
    main(dev, args[0], args[1])
