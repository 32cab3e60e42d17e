"""Writing DIR/NAME/N/model.onnx (staged under a dot-name, then renamed: the worker ignores dot
entries) and, when absent, DIR/NAME/config.yaml with the batching flags."""
import os
import sys

from errors import Refused


def next_version(model_dir):
    versions = [int(e) for e in os.listdir(model_dir) if e.isdigit() and not e.startswith("0")] \
        if os.path.isdir(model_dir) else []
    return max(versions, default=0) + 1


def config_text(args):
    lines = ["# Written by scripts/export-model; see services/model-worker/README.md for the keys."]
    if args.max_batch_size > 0:
        lines.append(f"max_batch_size: {args.max_batch_size}")
        batching = []
        if args.max_queue_delay_us is not None:
            batching.append(f"max_queue_delay_microseconds: {args.max_queue_delay_us}")
        if args.preferred_batch_sizes:
            batching.append(f"preferred_batch_sizes: [{', '.join(str(v) for v in args.preferred_batch_sizes)}]")
        lines.append(f"dynamic_batching: {{{', '.join(batching)}}}")
    else:
        lines.append("version_policy: {latest: 1}")
    return "\n".join(lines) + "\n"


def write_atomically(path, data):
    staging = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.export-{os.getpid()}")
    with open(staging, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)


def write(repository, name, version, onnx_bytes, args):
    model_dir = os.path.join(repository, name)
    try:
        os.makedirs(model_dir, exist_ok=True)
    except OSError as error:
        raise Refused(f"cannot create {model_dir}: {error.strerror}")
    version = version or next_version(model_dir)
    target = os.path.join(model_dir, str(version))
    if os.path.exists(target):
        raise Refused(f"{target} exists: choose another --version (or leave it out for the next free one)")
    config = os.path.join(model_dir, "config.yaml")
    batching = args.max_batch_size > 0
    try:
        if not os.path.exists(config):
            write_atomically(config, config_text(args).encode())
        elif batching:
            print(f"export-model: {config} exists and was left as it is: the batching flags were not applied",
                  file=sys.stderr)
        staging = os.path.join(model_dir, f".{version}.export-{os.getpid()}")
        os.makedirs(staging)
        with open(os.path.join(staging, "model.onnx"), "wb") as handle:
            handle.write(onnx_bytes)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(staging, target)
    except OSError as error:
        raise Refused(f"cannot write under {model_dir}: {error.strerror}")
    return os.path.join(target, "model.onnx")
