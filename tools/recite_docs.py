#!/usr/bin/env python3
"""Rewrites source comments that cite the old spec notes (esp32s3-arithmetic, espdl-format, quantization-rules,
which were never in the repository) so that they cite espq's own docs/ files and their section numbers.

Usage: tools/recite_docs.py [--check] [paths...]     (default paths: src include tests)

Idempotent: citations of docs/*.md are left alone, so it can be re-run after merging branches that still carry
old citations. --check changes nothing and exits 1 if any old citation is left. Citations it cannot map are
listed on stderr and make it exit 1; add them to SECTIONS below.
"""
import re
import sys
from pathlib import Path

# New file for each old note.
DOC_FILES = {
    "arith": "docs/esp-dl-arithmetic.md",
    "format": "docs/espdl-file-format.md",
    "rules": "docs/quantization-rules.md",
    "targets": "docs/targets.md",
}
OLD_DOC_NAMES = {"esp32s3-arithmetic": "arith", "espdl-format": "format", "quantization-rules": "rules"}

# (old note, old section) -> (new doc, new section). A section not listed maps to its chapter's entry.
SECTIONS = {
    "arith": {
        "0": ("arith", "1"), "1": ("arith", "1"), "2": ("arith", "2"), "2.1": ("arith", "1"),
        "2.2": ("arith", "2.2"), "2.3": ("arith", "2.3"), "2.4": ("arith", "2.4"), "3": ("arith", "3"),
        "4": ("arith", "4"), "4.1": ("arith", "4.1"), "4.2": ("arith", "4.2"), "4.3": ("arith", "4.3"),
        "4.4": ("arith", "4.4"), "5": ("arith", "5"), "6": ("arith", "6"), "6.1": ("arith", "6.1"),
        "6.2": ("arith", "6.2"), "6.3": ("arith", "6.3"), "6.4": ("arith", "6.4"), "6.5": ("arith", "6.5"),
        "6.8": ("arith", "6.6"), "6.9": ("arith", "6.7"), "6.10": ("arith", "6.8"), "6.11": ("arith", "6.9"),
        "6.12": ("arith", "6.10"), "6.13": ("arith", "6.11"), "6.14": ("arith", "6.12"),
        "6.15": ("arith", "6.13"), "6.16": ("arith", "6.14"), "6.17": ("arith", "6.15"), "7": ("arith", "7"),
        "8": ("arith", "8"), "10": ("targets", "1"), "11": ("targets", "1"), "12 Q4": ("arith", "9.3"),
        "12 Q7": ("arith", "9.1"), "12 Q8": ("arith", "9.4"), "12 Q15": ("arith", "9.2"), "13": ("arith", "8.1"),
        "13.1": ("arith", "8.1"), "13.2": ("arith", "8.1"), "13.3": ("arith", "8.1"), "13.4": ("arith", "8.1"),
    },
    "format": {
        "1": ("format", "1"), "1.1": ("format", "1.1"), "1.2": ("format", "1.2"), "1.3": ("format", "1.3"),
        "1.4": ("format", "1.4"), "2": ("format", "2"), "3": ("format", "3"), "3.1": ("format", "3.1"),
        "3.2": ("format", "3.1"), "3.3": ("format", "3.2"), "3.4": ("format", "3.2"), "3.5": ("format", "3.3"),
        "3.6": ("format", "3.3"), "3.7": ("format", "3.3"), "4": ("format", "4"), "4.1": ("format", "4.1"),
        "4.2": ("format", "4.2"), "4.3": ("format", "4.3"), "4.4": ("format", "4.4"), "4.5": ("arith", "4.4"),
        "6": ("format", "5"), "7": ("format", "6"), "9": ("format", "4.5"),
    },
    "rules": {
        "1": ("targets", "1"), "2": ("rules", "1"), "3": ("rules", "1"), "4": ("rules", "3"),
        "4.1": ("rules", "3"), "4.2": ("rules", "2"), "4.3": ("rules", "3.1"), "4.4": ("rules", "3.3"),
        "6": ("rules", "4"),
    },
}

# Whole phrases that cite the notes without a section.
PHRASES = [
    ("docs/spec (esp32s3-arithmetic)", "docs/esp-dl-arithmetic.md"),
    ("per docs/spec)", "per docs/esp-dl-arithmetic.md §3.1)"),
    ("written from docs/spec:", "written from docs/espdl-file-format.md §2:"),
]

NEW_DOC = r"docs/(?:esp-dl-arithmetic|espdl-file-format|quantization-rules|targets)\.md"
OLD_DOC = r"(?:docs/spec/?\s*)?\b(?P<oldname>esp32s3-arithmetic|espdl-format|quantization-rules)\b(?!-|\.md)"
SECTION = r"§(\d+(?:\.\d+)?(?: Q\d+)?)(?:\s*([-–])\s*§?(\d+(?:\.\d+)?))?"
TOKEN = re.compile(rf"(?P<new>{NEW_DOC})|(?P<old>{OLD_DOC})|(?P<spec>\bspec\s+(?=§))|(?P<sec>{SECTION})")
SUFFIXES = {".cpp", ".hpp", ".h", ".fbs", ".txt", ".cmake"}

unmapped = []
bare = []  # sections without a note name in files that already cite docs/: left alone, listed for a look


def map_section(doc, section, where):
    table = SECTIONS[doc]
    if section in table:
        return table[section]
    chapter = section.split(".")[0].split(" ")[0]
    if chapter in table:
        return table[chapter]
    unmapped.append(f"{where}: {doc} §{section}")
    return None


def rewrite_comment(text, file_doc, where):
    """Returns (new text, note in effect at the end); a note of None means bare sections already cite docs/."""
    for old, new in PHRASES:
        text = text.replace(old, new)
    text = re.sub(r"§(\d+(?:\.\d+)?) of (esp32s3-arithmetic|espdl-format|quantization-rules)\b", r"\2 §\1", text)
    out, pos = [], 0
    current = file_doc  # old note that bare sections refer to
    emitted = None  # docs/ file named last in this comment
    named_at = None  # index in `out` of an old note's name that no section has used yet
    for m in TOKEN.finditer(text):
        gap = text[pos:m.start()]
        out.append(gap)
        pos = m.end()
        if m.group("new"):
            current, emitted, named_at = None, m.group("new"), None
            out.append(m.group(0))
        elif m.group("old"):
            current = OLD_DOC_NAMES[m.group("oldname")]
            emitted, named_at = DOC_FILES[current], len(out)
            out.append(emitted)
        elif m.group("spec"):
            continue  # "spec §x": the docs/ file is named with the section
        elif current is None:
            if emitted is None:
                bare.append(f"{where}: {m.group(0)}")
            out.append(m.group(0))
        else:
            sm = re.fullmatch(SECTION, m.group("sec"))
            first, dash, last = sm.group(1), sm.group(2), sm.group(3)
            target = map_section(current, first, where)
            if target is None:
                out.append(m.group(0))
                continue
            doc = DOC_FILES[target[0]]
            prefix = ""
            if doc != emitted:
                if named_at is not None and not gap.strip():
                    out[named_at] = doc  # "note §x" where §x moved to another docs/ file
                else:
                    prefix = doc + " "
            emitted, named_at = doc, None
            piece = f"{prefix}§{target[1]}"
            if last is not None:
                end = map_section(current, last, where)
                if end is not None and end[0] == target[0]:
                    piece += f"{dash}§{end[1]}"
            out.append(piece)
    out.append(text[pos:])
    return "".join(out), current


COLUMN_LIMIT = 120  # .clang-format


def comment_start(line):
    idx = line.find("//")
    return idx if idx >= 0 else None


def fit_comment(lines, i):
    """Keeps a rewritten comment within the column limit: words that overflow move to the start of the next line
    when it continues the same comment, else onto a new comment line; a trailing comment that no longer fits
    beside its code moves above it."""
    line = lines[i]
    if len(line) <= COLUMN_LIMIT:
        return
    start = comment_start(line)
    head = line[:start]
    indent = head[: len(head) - len(head.lstrip())]
    if head.strip():  # trailing comment after code
        lines[i] = head.rstrip()
        lines.insert(i, indent + line[start:])
        fit_comment(lines, i)
        return
    prefix = indent + "// "
    cut = line.rfind(" ", len(prefix), COLUMN_LIMIT + 1)
    if cut <= len(prefix):
        return  # one unbreakable word: leave it
    lines[i], overflow = line[:cut], line[cut + 1 :]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    # Merge only into a plain continuation line (not an indented list item or a blank comment line).
    if nxt.startswith(prefix) and nxt[len(prefix) :][:1] not in ("", " "):
        lines[i + 1] = prefix + overflow + " " + nxt[len(prefix) :]
    else:
        lines.insert(i + 1, prefix + overflow)
    fit_comment(lines, i + 1)


def rewrite_file(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    file_doc = "arith"  # the notes cited most, and the only one the emulator's bare § refer to
    changed = False
    i = 0
    while i < len(lines):
        line = lines[i]
        start = comment_start(line)
        if start is not None:
            head, comment = line[:start], line[start:]
            nxt = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
            if comment.rstrip().endswith(" docs/spec") and re.match(r"//\s*" + OLD_DOC, nxt):
                comment = comment.rstrip()[: -len(" docs/spec")]  # "docs/spec\n// note §x": the note follows
            new_comment, file_doc = rewrite_comment(comment, file_doc, f"{path}:{i + 1}")
            if "docs/spec" in new_comment:
                unmapped.append(f"{path}:{i + 1}: docs/spec without a note name")
            if new_comment != line[start:]:
                lines[i] = head + new_comment
                changed = True
                count = len(lines)
                fit_comment(lines, i)
                if head.strip() and len(lines) > count:
                    i += 1  # the comment moved above its code line; skip past it
        i += 1
    return "\n".join(lines), changed


def main(argv):
    unknown = [a for a in argv if a.startswith("-") and a != "--check"]
    if unknown:
        print(__doc__.strip())
        return 0 if set(unknown) <= {"-h", "--help"} else 2
    check = "--check" in argv
    roots = [a for a in argv if not a.startswith("--")] or ["src", "include", "tests"]
    files = []
    for root in roots:
        p = Path(root)
        files += [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file())
    stale = []
    for f in files:
        text, changed = rewrite_file(f)
        if changed:
            stale.append(str(f))
            if not check:
                f.write_text(text, encoding="utf-8")
    for b in bare:
        print(f"recite_docs: note: {b} names no docs/ file on its line; left as it is", file=sys.stderr)
    for u in unmapped:
        print(f"recite_docs: no docs/ section for {u}", file=sys.stderr)
    verb = "would rewrite" if check else "rewrote"
    print(f"recite_docs: {verb} {len(stale)} files" + ("".join(f"\n  {s}" for s in stale) if stale else ""))
    return 1 if unmapped or (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
