#!/usr/bin/env python3
"""Lint the services' Dockerfiles with the project's own rules (hadolint is not in Debian 12).

Usage: deploy_dockerfile_lint.py [--context DIR] DOCKERFILE...
       deploy_dockerfile_lint.py --self-test

Rules (each violation prints `FILE:LINE: RULE message`; exit status 1 if any):
  D001  at least two stages (multi-stage: build and runtime)
  D002  every external base image is pinned: an explicit version tag with a digit (not `latest`,
        not a bare codename) or an @sha256 digest; no variables in FROM
  D003  the final stage is not a toolchain image (swift, gcc, buildpack-deps ...)
  D004  the final stage sets USER to a non-root numeric uid (and nothing later switches back)
  D005  no ADD (COPY for local files; never ADD of URLs or archives)
  D006  apt-get: `update` and `install` in the same RUN, `install -y --no-install-recommends`,
        the same RUN removes /var/lib/apt/lists/*; no upgrade / dist-upgrade
  D007  a RUN with a pipe needs `SHELL [..., "-o", "pipefail", ...]` earlier in its stage
  D008  ENTRYPOINT and CMD use the exec (JSON array) form
  D009  WORKDIR is absolute
  D010  no sudo, no `curl|sh` / `wget|sh`
  D011  the runtime stage installs only the allowed runtime packages
  D012  COPY sources (without --from) exist in the build context and are not excluded by
        .dockerignore
  D013  the final stage copies the binary from a build stage (COPY --from=...)
  D014  the final stage declares EXPOSE and HEALTHCHECK
  D015  no credentials in ENV / ARG names (PASSWORD, SECRET, TOKEN, API_KEY)
  D016  the build context has a .dockerignore
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field

RUNTIME_PACKAGES = {"libnghttp2-14", "libprotobuf-c1", "ca-certificates"}
TOOLCHAIN_IMAGES = ("swift", "gcc", "golang", "rust", "buildpack-deps", "node", "python")


@dataclass
class Instruction:
    line: int
    keyword: str
    value: str


@dataclass
class Stage:
    line: int
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    out: list[Instruction] = []
    buf = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not buf:
            start = number
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        keyword, _, value = buf.partition(" ")
        out.append(Instruction(start, keyword.upper(), value.strip()))
        buf = ""
    if buf:
        keyword, _, value = buf.partition(" ")
        out.append(Instruction(start, keyword.upper(), value.strip()))
    return out


def stages_of(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            words = [w for w in ins.value.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(ins.line, words[0], name))
        elif stages:
            stages[-1].instructions.append(ins)
    return stages


def dockerignore_patterns(context: str) -> list[tuple[bool, str]] | None:
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return None
    patterns = []
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        patterns.append((negate, pattern.strip("/")))
    return patterns


def _match(pattern: str, path: str) -> bool:
    """Docker's rules: a pattern matches the path or any of its parents; ** spans directories."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            regex += ".*"
            i += 2
            if i < len(pattern) and pattern[i] == "/":
                i += 1
                regex = regex[:-2] + "(.*/)?"
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    parts = path.split("/")
    return any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1))


def excluded(patterns: list[tuple[bool, str]], path: str) -> bool:
    result = False
    for negate, pattern in patterns:
        if _match(pattern, path):
            result = not negate
    return result


def context_files(context: str, source: str) -> list[str]:
    """Files under `source` (relative to the context), as relative paths."""
    full = os.path.join(context, source)
    if os.path.isfile(full):
        return [source]
    files = []
    for root, dirs, names in os.walk(full):
        dirs[:] = [d for d in dirs if not d.startswith(".build") and d not in (".git", ".venv")]
        for name in names:
            files.append(os.path.relpath(os.path.join(root, name), context))
    return files


def pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return bool(tag) and tag != "latest" and bool(re.search(r"\d", tag))


def lint(path: str, context: str) -> list[str]:
    problems: list[str] = []

    def report(line: int, rule: str, message: str) -> None:
        problems.append(f"{path}:{line}: {rule} {message}")

    text = open(path, encoding="utf-8").read()
    instructions = parse(text)
    stages = stages_of(instructions)
    names = {s.name for s in stages if s.name}
    ignore = dockerignore_patterns(context)
    if ignore is None:
        report(1, "D016", f"no .dockerignore in the build context {context}")
        ignore = []
    if len(stages) < 2:
        report(1, "D001", "single-stage build: build with the toolchain image, run on a slim one")
    for stage in stages:
        if stage.image in names:
            continue
        if "$" in stage.image:
            report(stage.line, "D002", f"base image {stage.image} is a variable: pin it in FROM")
        elif not pinned(stage.image):
            report(stage.line, "D002", f"base image {stage.image} is not pinned to a version tag or digest")
    if not stages:
        return problems
    final = stages[-1]
    base = final.image.split("/")[-1].split(":")[0].split("@")[0]
    if base in TOOLCHAIN_IMAGES:
        report(final.line, "D003", f"final stage runs on the toolchain image {final.image}")

    for stage in stages:
        has_pipefail = False
        for ins in stage.instructions:
            kw, value = ins.keyword, ins.value
            if kw == "SHELL":
                has_pipefail = "pipefail" in value
            if kw == "ADD":
                report(ins.line, "D005", "ADD: use COPY (and never ADD a URL)")
            if kw in ("ENTRYPOINT", "CMD"):
                try:
                    ok = isinstance(json.loads(value), list)
                except json.JSONDecodeError:
                    ok = False
                if not ok:
                    report(ins.line, "D008", f"{kw} in shell form: use a JSON array")
            if kw == "WORKDIR" and not value.startswith("/"):
                report(ins.line, "D009", f"WORKDIR {value} is relative")
            if kw in ("ENV", "ARG") and re.search(r"(PASSWORD|SECRET|TOKEN|API_KEY)\w*\s*=", value, re.I):
                report(ins.line, "D015", f"credential-like {kw}: pass secrets at run time")
            if kw == "RUN":
                body = re.sub(r"^(--\S+\s+)+", "", value)
                if re.search(r"(?<![|])\|(?![|])", body) and not has_pipefail:
                    report(ins.line, "D007", "RUN with a pipe but no SHELL with -o pipefail in this stage")
                if re.search(r"\bsudo\b", body):
                    report(ins.line, "D010", "sudo in RUN")
                if re.search(r"\b(curl|wget)\b[^|&;]*\|\s*(ba)?sh\b", body):
                    report(ins.line, "D010", "piping a download into a shell")
                if "apt-get" in body:
                    if re.search(r"apt-get\s+(\S+\s+)*(upgrade|dist-upgrade)\b", body):
                        report(ins.line, "D006", "apt-get upgrade in an image build: bump the base image instead")
                    if re.search(r"apt-get\s+(-\S+\s+)*install\b", body):
                        if "apt-get update" not in body:
                            report(ins.line, "D006", "apt-get install without apt-get update in the same RUN")
                        install = body[body.index("install"):].split("&&")[0]
                        if not re.search(r"(\s-y\b|--yes|--assume-yes|-\w*y)", install):
                            report(ins.line, "D006", "apt-get install without -y")
                        if "--no-install-recommends" not in install:
                            report(ins.line, "D006", "apt-get install without --no-install-recommends")
                        if "rm -rf /var/lib/apt/lists" not in body:
                            report(ins.line, "D006", "apt lists not removed in the same RUN")
                        if stage is final:
                            packages = [w for w in install.split()[1:] if not w.startswith("-")]
                            extra = sorted(set(packages) - RUNTIME_PACKAGES)
                            if extra:
                                report(ins.line, "D011", f"runtime stage installs {', '.join(extra)} "
                                       f"(allowed: {', '.join(sorted(RUNTIME_PACKAGES))})")
            if kw == "COPY" and "--from" not in value:
                words = [w for w in value.split() if not w.startswith("--")]
                if words and words[0].startswith("["):
                    words = json.loads(" ".join(words))
                for source in words[:-1]:
                    if any(ch in source for ch in "*?["):
                        matches = [p for p in context_files(context, os.path.dirname(source) or ".")
                                   if fnmatch.fnmatch(p, source)]
                    else:
                        if not os.path.exists(os.path.join(context, source)):
                            report(ins.line, "D012", f"COPY source {source} does not exist in the build context")
                            continue
                        matches = context_files(context, source)
                    kept = [p for p in matches if not excluded(ignore, p)]
                    if not kept:
                        report(ins.line, "D012", f"COPY source {source} is excluded by .dockerignore (or empty)")

    users = [ins for ins in final.instructions if ins.keyword == "USER"]
    if not users:
        report(final.line, "D004", "final stage has no USER: it would run as root")
    else:
        user = users[-1].value.split(":")[0]
        if not user.isdigit():
            report(users[-1].line, "D004", f"USER {user}: use a numeric uid (runAsNonRoot can verify it)")
        elif int(user) == 0:
            report(users[-1].line, "D004", "USER is root")
    if not any(ins.keyword == "COPY" and "--from=" in ins.value for ins in final.instructions):
        report(final.line, "D013", "final stage copies nothing from a build stage")
    for keyword in ("EXPOSE", "HEALTHCHECK"):
        if not any(ins.keyword == keyword for ins in final.instructions):
            report(final.line, "D014", f"final stage has no {keyword}")
    return problems


SELF_TEST_BAD = """FROM swift:latest
ADD https://example.com/x.tgz /x
RUN apt-get install curl && curl -s https://x | sh
WORKDIR src
CMD swift run
"""

SELF_TEST_BAD_RUNTIME = """FROM swift:6.3.1-bookworm AS build
RUN echo hi | cat
FROM debian:12.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libnghttp2-14 curl && rm -rf /var/lib/apt/lists/*
COPY missing-file /x
USER 0
ENTRYPOINT ["/x"]
"""


def self_test() -> int:
    expectations = [
        (SELF_TEST_BAD, {"D001", "D002", "D003", "D004", "D005", "D006", "D008", "D009", "D010", "D013", "D014"}),
        (SELF_TEST_BAD_RUNTIME, {"D004", "D007", "D011", "D012", "D013", "D014"}),
    ]
    failed = 0
    with tempfile.TemporaryDirectory() as context:
        open(os.path.join(context, ".dockerignore"), "w").write("*\n")
        for n, (text, expected) in enumerate(expectations):
            path = os.path.join(context, f"Dockerfile.{n}")
            open(path, "w").write(text)
            found = {p.split(": ", 1)[1].split()[0] for p in lint(path, context)}
            missing = expected - found
            if missing:
                print(f"self-test {n}: rules not triggered: {sorted(missing)} (found {sorted(found)})")
                failed += 1
    for path, pattern, expect in [("Sources/a.swift", "Sources/", True), (".build/x", "**/.build*", True),
                                  ("a/.build-x/y", "**/.build*", True), ("services/x/config.yaml", "services/*/config.yaml", True),
                                  ("services/x/README.md", "services/*/config.yaml", False)]:
        if _match(pattern.strip("/"), path) != expect:
            print(f"self-test: dockerignore pattern {pattern} on {path}: expected {expect}")
            failed += 1
    print("dockerfile lint self-test:", "FAILED" if failed else "ok")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    context = "."
    args = argv[1:]
    if args[:1] == ["--context"]:
        context, args = args[1], args[2:]
    if not args:
        print(__doc__)
        return 2
    problems = []
    for path in args:
        found = lint(path, context)
        stages = stages_of(parse(open(path, encoding="utf-8").read()))
        print(f"{path}: {len(stages)} stages ({', '.join(s.name or s.image for s in stages)}), "
              f"{'ok' if not found else f'{len(found)} problem(s)'}")
        problems += found
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
