"""BlurHash encoding (https://github.com/woltapp/blurhash, algorithm by Wolt), for media placeholders.

Clients draw the blurred colours while an image loads. Computed on a small copy of the image
(32 px), so its cost does not depend on the upload's size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _base83(value: int, length: int) -> str:
    return "".join(_CHARS[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _to_linear(channel: int) -> float:
    v = channel / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    return int(v * 12.92 * 255 + 0.5) if v <= 0.0031308 else int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def encode(pixels: Sequence[tuple[int, int, int]], width: int, height: int, x_components: int = 4, y_components: int = 3) -> str:
    """BlurHash of RGB `pixels` (row-major, `width` × `height`)."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9) or len(pixels) != width * height or not pixels:
        raise ValueError("bad blurhash input")
    linear = [(_to_linear(r), _to_linear(g), _to_linear(b)) for r, g, b in pixels]
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        for i in range(x_components):
            norm = 1.0 if i == 0 and j == 0 else 2.0
            r = g = b = 0.0
            for y in range(height):
                cy = math.cos(math.pi * j * y / height)
                row = y * width
                for x in range(width):
                    basis = cy * math.cos(math.pi * i * x / width)
                    pr, pg, pb = linear[row + x]
                    r += basis * pr
                    g += basis * pg
                    b += basis * pb
            scale = norm / (width * height)
            factors.append((r * scale, g * scale, b * scale))
    dc, ac = factors[0], factors[1:]
    result = _base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(abs(c) for f in ac for c in f)
        quantised = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        maximum = (quantised + 1) / 166
        result += _base83(quantised, 1)
    else:
        maximum = 1.0
        result += _base83(0, 1)
    result += _base83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for r, g, b in ac:
        qr = max(0, min(18, math.floor(_sign_pow(r / maximum, 0.5) * 9 + 9.5)))
        qg = max(0, min(18, math.floor(_sign_pow(g / maximum, 0.5) * 9 + 9.5)))
        qb = max(0, min(18, math.floor(_sign_pow(b / maximum, 0.5) * 9 + 9.5)))
        result += _base83(qr * 19 * 19 + qg * 19 + qb, 2)
    return result
