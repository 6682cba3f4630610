"""Generator at scale: render (which validates) generated inventories of N apps. Filled in below."""
from __future__ import annotations


def run(generator: str, sizes: list[int], work: str, log) -> list[dict]:
    log("generator: not measured yet")
    return []
