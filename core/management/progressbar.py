"""The progress bar of the commands that make people wait (ingest_data --wait,
generate_sample_data): rows done / total per file, then the stage."""

from __future__ import annotations

from core.services.ingestion.progress import FILES, Meta


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (logs, pipes) prints a line per change of
    stage or per tenth of the rows."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = None
        self._drawn = False

    def update(self, meta: Meta) -> None:
        if self._tty:
            line = render(meta)
            if line != self._last:
                self._stream.write("\r" + line.ljust(len(self._last or "")))
                self._stream.flush()
                self._last, self._drawn = line, True
            return
        key = (meta.get("stage"), *(_tenth(meta.get(name)) for name in FILES))
        if key != self._last:
            self._stream.write(render(meta) + "\n")
            self._stream.flush()
            self._last = key

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()


def _tenth(counts: dict | None) -> int:
    if not counts or not counts.get("total"):
        return 0
    return 10 * counts.get("done", 0) // counts["total"]


def render(meta: Meta, width: int = 20) -> str:
    """One line: a bar with rows done / total per file, then the stage (the stage alone before
    the files are open)."""
    parts = []
    if not any((meta.get(name) or {}).get("total") for name in FILES):
        return str(meta.get("stage", ""))
    for name in FILES:
        counts = meta.get(name) or {}
        done, total = int(counts.get("done", 0)), int(counts.get("total", 0))
        filled = width if total == 0 and done else (width * done // total if total else 0)
        bar = "#" * filled + "-" * (width - filled)
        parts.append(f"{name} [{bar}] {done:,}/{total:,}")
    parts.append(str(meta.get("stage", "")))
    return "  ".join(parts)
