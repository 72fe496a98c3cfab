"""Command line: `detector scan`, `detector explain` (and `detector filter`, see ingest).

Output of scan is one JSON object a line per document, in input order (contract.md).
Exit status: 0 all scored; 1 some documents had errors; 2 bad usage or the model cannot load.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from detector import ingest
from detector.api import Detector, read_document
from detector.model import ModelError
from detector.verdict import LABELS, Verdict

# Files picked up when a folder is scanned: text and HTML, optionally gzipped, plus files with
# no extension. Anything else in a folder (labels.tsv, images, archives) is passed over; name a
# file explicitly to scan it whatever its name.
TEXT_SUFFIXES = (".txt", ".text", ".md", ".html", ".htm", ".txt.gz", ".md.gz", ".html.gz")

EXIT_OK, EXIT_SOME_ERRORS, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Tell whether text documents are original, paraphrased (a rewrite of an existing article),
machine-translated or AI-generated, with scores, quality flags and the evidence.

  detector scan samples/                   score every text file under a folder
  detector scan a.txt b.txt - < c.txt      files, and '-' for standard input
  detector scan --jsonl docs.jsonl.gz      one JSON object a line with "id" and "text"
  detector explain samples/000_a639d21eb5f3df3a.txt
                                           a readable report with the evidence marked

scan prints one JSON line per document, in input order:
  {"id": ..., "label": ..., "scores": {...}, "flags": [...], "evidence": [...], "error": null}
A document that cannot be read or scored gets a line with "error" set and label null.
Exit status: 0 all scored, 1 some documents had errors, 2 bad usage or model not loadable.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with a short message, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="detector", description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"detector {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = commands.add_parser("scan", help="score documents, one JSON line each",
                               description="Score documents and print one JSON line per document.")
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help="file, folder (scanned recursively for text files) or - for stdin")
    scan.add_argument("--jsonl", action="store_true",
                      help='inputs are JSONL (.gz accepted): one {"id": ..., "text": ...} a line')
    scan.add_argument("--model", metavar="FILE", help="model file (default: the bundled model); "
                      "load only model files you trust")
    scan.add_argument("--link", action="store_true",
                      help="link each rewrite or translation to its source in the same input and "
                           'add "derived_from" to every line; reads the whole input before printing '
                           "(memory grows with the input: see docs/linking.md)")

    explain = commands.add_parser("explain", help="a readable report of one document's verdict",
                                  description="Show the verdict, scores and evidence for one file, "
                                              "with each piece of evidence marked in the text.")
    explain.add_argument("path", metavar="FILE", help="a text file, or - for stdin")
    explain.add_argument("--model", metavar="FILE", help="model file (default: the bundled model)")
    explain.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="highlight evidence with colours (default: when writing to a terminal)")

    filter_ = commands.add_parser("filter", help="route documents into accepted/ and rejected/ with a manifest",
                                  description=ingest.FILTER_DESCRIPTION,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    ingest.add_arguments(filter_)
    return parser


def _version() -> str:
    from detector import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "filter":  # loads the model itself, in each worker process
        return ingest.main(args)
    try:
        detector = Detector.load(args.model)
    except ModelError as exc:
        print(f"detector: cannot load the model: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "scan":
        return scan(detector, args.paths, jsonl=args.jsonl, link=args.link)
    if args.command == "explain":
        return explain(detector, args.path, color=args.color)
    parser.print_help()
    return EXIT_USAGE


# --- inputs --------------------------------------------------------------------------------------
def iter_inputs(paths: Iterable[str], jsonl: bool = False, stdin=None) -> Iterator[tuple[str, object]]:
    """(id, bytes-or-text-or-exception) for every document named by `paths`, in order."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    for given in paths:
        if given == "-":
            if jsonl:
                yield from iter_jsonl_lines(stdin, "-")
            else:
                yield "-", stdin.read()
            continue
        path = Path(given)
        if path.is_dir():
            for file in walk_folder(path):
                yield from _from_file(str(file), jsonl)
        else:
            yield from _from_file(given, jsonl)


def walk_folder(folder: Path) -> Iterator[Path]:
    """Text files under a folder, recursively, in sorted order; hidden files and symlinked
    folders are skipped (a symlink loop cannot trap the walk)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            lower = name.lower()
            if lower.endswith(TEXT_SUFFIXES) or "." not in name:
                yield Path(root) / name


def _from_file(path: str, jsonl: bool) -> Iterator[tuple[str, object]]:
    if not jsonl:
        yield path, read_document(path)
        return
    import gzip

    try:
        handle = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    except OSError as exc:
        yield path, exc
        return
    with handle:
        try:
            yield from iter_jsonl_lines(handle, path)
        except (OSError, EOFError) as exc:
            yield f"{path}:?", exc


def iter_jsonl_lines(handle, name: str) -> Iterator[tuple[str, object]]:
    """Records of a JSONL stream: (id, text) or (id, error) per non-blank line."""
    for lineno, raw in enumerate(handle, 1):
        if not raw.strip():
            continue
        fallback_id = f"{name}:{lineno}"
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            yield fallback_id, ValueError(f"line {lineno} is not valid JSON")
            continue
        if not isinstance(record, dict):
            yield fallback_id, ValueError(f"line {lineno} is not a JSON object")
            continue
        doc_id = str(record["id"]) if record.get("id") is not None else fallback_id
        text = record.get("text")
        if not isinstance(text, str):
            yield doc_id, ValueError('record has no "text" string')
            continue
        yield doc_id, text


# --- scan ----------------------------------------------------------------------------------------
def scan(detector: Detector, paths: Sequence[str], jsonl: bool = False, out=None, stdin=None,
         link: bool = False) -> int:
    out = out or sys.stdout
    errors = 0
    if link:
        try:  # checked before any scoring: a missing dependency must not cost a whole scan
            from detector.link import link_verdicts
        except ImportError as exc:
            print(f"detector: {exc}", file=sys.stderr)
            return EXIT_USAGE
    verdicts = detector.iter_scores(iter_inputs(paths, jsonl=jsonl, stdin=stdin))
    if link:
        # Linking needs the whole batch: a source may come after its rewrite. Verdicts are
        # collected (texts included), linked, then printed in input order.
        verdicts = link_verdicts(list(verdicts))
    for verdict in verdicts:
        if verdict.error:
            errors += 1
        out.write(json.dumps(verdict.to_dict(), ensure_ascii=False) + "\n")
        out.flush()
    return EXIT_SOME_ERRORS if errors else EXIT_OK


# --- explain -------------------------------------------------------------------------------------
_BOLD, _RESET = "\033[1m", "\033[0m"
_COLOURS = {"original": "\033[32m", "paraphrased": "\033[35m", "machine_translated": "\033[33m",
            "ai_generated": "\033[36m", None: "\033[2m"}


def explain(detector: Detector, path: str, color: str = "auto", out=None, stdin=None) -> int:
    out = out or sys.stdout
    use_colour = color == "always" or (color == "auto" and hasattr(out, "isatty") and out.isatty())
    payload = (stdin or sys.stdin.buffer).read() if path == "-" else read_document(path)
    verdict = detector._score_batch([(path, payload)])[0]
    out.write(render_report(verdict, use_colour))
    return EXIT_SOME_ERRORS if verdict.error else EXIT_OK


def render_report(verdict: Verdict, colour: bool = False) -> str:
    """A terminal report: verdict, score bars, flags, the text with evidence marked, the list."""
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines = [paint(str(verdict.id), _BOLD)]
    if verdict.error:
        lines.append(f"error: {verdict.error}")
        return "\n".join(lines) + "\n"
    assert verdict.scores is not None and verdict.label is not None
    lines.append(f"verdict: {paint(verdict.label, _BOLD + _COLOURS[verdict.label])} "
                 f"({verdict.scores[verdict.label]:.2f})")
    for label in LABELS:
        p = verdict.scores[label]
        lines.append(f"  {label:<19} {p:5.2f} {'█' * round(p * 30)}")
    lines.append("flags: " + (", ".join(verdict.flags) if verdict.flags else "none"))
    lines.append("")
    numbered = list(enumerate(verdict.evidence, 1))
    lines.append("text, with evidence marked [n ...]:")
    lines.append(_marked_text(verdict.text or "", numbered, colour))
    lines.append("")
    lines.append("evidence (strongest first):" if numbered else "evidence: none")
    for n, item in numbered:
        toward = f"-> {item.toward} (+{item.weight:.2f})" if item.toward else "(found, did not move the label)"
        lines.append(f"  [{n}] {item.feature} {toward}")
        lines.append(f"      {item.note}: \"{item.excerpt}\"" if item.note else f"      \"{item.excerpt}\"")
    return "\n".join(lines) + "\n"


def _marked_text(text: str, numbered, colour: bool) -> str:
    inserts: list[tuple[int, int, str]] = []
    for n, item in numbered:
        code = _COLOURS.get(item.toward, _COLOURS[None])
        inserts.append((item.start, 1, (code if colour else "") + f"[{n} "))
        inserts.append((item.end, 0, "]" + (_RESET if colour else "")))
    out, pos = [], 0
    for at, _order, marker in sorted(inserts, key=lambda x: (x[0], x[1])):
        out.append(text[pos:at])
        out.append(marker)
        pos = at
    out.append(text[pos:])
    return "".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
