#!/usr/bin/env python3
"""The bindings' overhead: one model's forward + backward step driven from Python (se3t's
torch.nn.Module, the loss and backward() in Python) against the same step run in C++ on the
same model object, graph and features, in one process, steps interleaved.

    OMP_WAIT_POLICY=passive PYTHONPATH=build/python /usr/bin/python3 bench/python_vs_cpp.py \\
        [--workload nbody] [--batch N] [--steps 10] [--threads 1] [--json]

A step is what `se3t bench` times as forward+backward: the forward pass, the sum of squared
outputs, backward. Prints the median milliseconds of each and their ratio (Python / C++).
"""

import argparse
import json
import statistics
import sys
import time

import torch

import se3t
from se3t import _se3t


def python_step(model, graph, features):
    t0 = time.perf_counter()
    loss = torch.zeros((), dtype=graph.pos.dtype)
    for t in model(graph, features).values():
        loss = loss + t.pow(2).sum()
    loss.backward()
    return (time.perf_counter() - t0) * 1e3, loss.item()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="nbody", help="qm9 | nbody | protein (se3t bench's)")
    p.add_argument("--batch", type=int, default=0, help="graphs per step (0: the workload's)")
    p.add_argument("--steps", type=int, default=10, help="timed steps of each (after 1 warm-up)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    w = _se3t.bench_workload(args.workload, args.batch)
    model = se3t.SE3Transformer(w["options"])
    graph, features = w["graph"], w["features"]
    py_ms, cpp_ms = [], []
    for step in range(args.steps + 1):  # the first of each is a warm-up
        # Alternating which runs first, so neither always finds the other's freed memory.
        for which in ("cpp", "python") if step % 2 == 0 else ("python", "cpp"):
            model.zero_grad(set_to_none=True)
            if which == "cpp":
                c_ms, c_loss = _se3t.bench_step_cpp(model.cpp, graph, features)
            else:
                p_ms, p_loss = python_step(model, graph, features)
        if p_loss != c_loss:
            sys.exit(f"python_vs_cpp: the two steps disagree: loss {p_loss} vs {c_loss}")
        if step > 0:
            py_ms.append(p_ms)
            cpp_ms.append(c_ms)
    result = {
        "workload": w["name"],
        "description": w["description"],
        "edges": graph.num_edges,
        "threads": args.threads,
        "steps": args.steps,
        "python_ms": statistics.median(py_ms),
        "cpp_ms": statistics.median(cpp_ms),
    }
    result["ratio"] = result["python_ms"] / result["cpp_ms"]
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{w['name']} ({w['description']}), {args.threads} thread(s), median of "
              f"{args.steps} steps:\n  forward+backward from Python {result['python_ms']:.2f} ms, "
              f"from C++ {result['cpp_ms']:.2f} ms, ratio {result['ratio']:.3f}")


if __name__ == "__main__":
    main()
