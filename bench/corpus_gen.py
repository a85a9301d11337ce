"""Make a large corpus for scale benchmarks by recombining real sentences.

The sentences come from the seeds and from ../shared/distract/ (unrelated real news). Each
generated article is a `#` heading and paragraphs of sentences drawn at random, so the words,
names and numbers are real but no article repeats another. The same arguments give the same
files, so two benchmark runs measure the same corpus.

    python bench/corpus_gen.py OUT_DIR --articles 10000 [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DISTRACT = ROOT.parent / "shared" / "distract"
SENTENCE = re.compile(r"[^。！？!?\n]{8,}[。！？!?]")
SENTENCES_PER_ARTICLE = 30
SENTENCES_PER_PARAGRAPH = 4


def real_sentences(folders: tuple[Path, ...] = (SEEDS, DISTRACT)) -> list[str]:
    """Every sentence of every article in the folders, in a fixed order, each once."""
    seen: dict[str, None] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("#"):
                    continue
                for sentence in SENTENCE.findall(line.strip()):
                    seen.setdefault(sentence.strip(), None)
    return list(seen)


def generate(out_dir: Path, articles: int, seed: int = 7) -> list[Path]:
    """Write `articles` files named gen_00000.txt … into out_dir; returns their paths."""
    sentences = real_sentences()
    if not sentences:
        raise SystemExit("no sentences found in seeds/ or ../shared/distract/")
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(articles):
        picked = rng.sample(sentences, min(SENTENCES_PER_ARTICLE, len(sentences)))
        paragraphs = [
            "".join(picked[i : i + SENTENCES_PER_PARAGRAPH])
            for i in range(0, len(picked), SENTENCES_PER_PARAGRAPH)
        ]
        heading = picked[0].rstrip("。！？!?")[:30]
        path = out_dir / f"gen_{number:05d}.txt"
        path.write_text(f"# {heading}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(args.out_dir, args.articles, args.seed)
    print(f"wrote {len(paths)} articles to {args.out_dir}/")


if __name__ == "__main__":
    main()
