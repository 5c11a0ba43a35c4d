#!/usr/bin/env python3
"""Checks that README.md shows the example programs exactly as they are in examples/.

Each example in the README is a ```cpp block preceded by a marker line naming its file:

    <!-- example: examples/readme_wait_for_completion.cpp -->
    ```cpp
    ...the file's contents...
    ```

Fails (exit 1, with a diff) when a block differs from its file, a marker names a missing file or
is not followed by a ```cpp block, or an examples/readme_*.cpp file has no block in the README.
Usage: check-readme-examples.py [REPO_ROOT]   (default: the parent of this script's folder)
"""
import difflib
import pathlib
import re
import sys

MARKER = re.compile(r"^<!--\s*example:\s*(\S+)\s*-->\s*$")


def readme_blocks(lines):
    """Yields (line number of the marker, file named, block text or None when malformed)."""
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```cpp":
            yield i + 1, m.group(1), None
            continue
        body = []
        for j in range(i + 2, len(lines)):
            if lines[j].strip() == "```":
                yield i + 1, m.group(1), "".join(body)
                break
            body.append(lines[j])
        else:
            yield i + 1, m.group(1), None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    readme = root / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    errors = []
    shown = set()
    for lineno, name, block in readme_blocks(lines):
        shown.add(name)
        path = root / name
        if block is None:
            errors.append(f"README.md:{lineno}: marker for {name} is not followed by a closed ```cpp block")
            continue
        if not path.is_file():
            errors.append(f"README.md:{lineno}: {name} does not exist")
            continue
        code = path.read_text(encoding="utf-8")
        if block.rstrip("\n") != code.rstrip("\n"):
            diff = difflib.unified_diff(code.splitlines(keepends=True), block.splitlines(keepends=True),
                                        fromfile=name, tofile=f"README.md:{lineno}")
            errors.append(f"README.md:{lineno}: the block differs from {name}:\n" + "".join(diff))
    for path in sorted((root / "examples").glob("readme_*.cpp")):
        name = path.relative_to(root).as_posix()
        if name not in shown:
            errors.append(f"{name} is not shown in README.md (add a '<!-- example: {name} -->' block)")
    if not shown:
        errors.append("README.md has no example blocks")
    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print(f"README.md shows {len(shown)} examples, each identical to its file")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
