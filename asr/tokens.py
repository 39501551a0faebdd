"""The model's token table: pinyin initials, tone-marked finals and A-Z for spelled letters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asr.errors import ModelError

BLANK = 0


@dataclass(frozen=True)
class TokenTable:
    symbols: tuple[str, ...]  # index = token id; only the ids the model emits

    @staticmethod
    def load(path: Path, vocab_size: int) -> TokenTable:
        symbols = [""] * vocab_size
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"cannot read token table {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].isdigit():
                raise ModelError(f"{path}:{number}: expected 'symbol id', got {line!r}")
            index = int(parts[1])
            if index < vocab_size:
                symbols[index] = parts[0]
        missing = [i for i, s in enumerate(symbols) if not s]
        if missing:
            raise ModelError(f"{path}: no symbol for token ids {missing[:5]}")
        return TokenTable(tuple(symbols))

    def __len__(self) -> int:
        return len(self.symbols)

    def ids(self) -> dict[str, int]:
        return {symbol: index for index, symbol in enumerate(self.symbols)}

    def text(self, ids: list[int] | tuple[int, ...]) -> str:
        """Space-separated tokens, as `lingyin transcribe` prints them: "sh è d ìng"."""
        return " ".join(self.symbols[i] for i in ids)

    def is_letter(self, token: int) -> bool:
        symbol = self.symbols[token]
        return len(symbol) == 1 and "A" <= symbol <= "Z"
