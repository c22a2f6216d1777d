"""The child's photograph on the information profile: checked and re-encoded before it is kept.

A phone photo carries EXIF metadata, often the GPS position where it was taken (a carer's home, a school).
Re-encoding from the pixels alone drops all of it. Only JPEG and PNG are accepted, decided from the file's
content, never its name or the browser's content type.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 1200  # longest side, after re-encoding: enough for print, small enough for a page
# A decompression bomb (a tiny file that opens as a huge image) is refused before it is decoded.
MAX_SOURCE_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str


def photo_clean(data: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata, at most MAX_PHOTO_PIXELS on its longest side, or a
    ValidationError on the "photo" field."""
    if not data:
        raise ValidationError({"photo": _("The selected file is empty.")})
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("The photo must be smaller than 5 MB.")})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            if kind not in FORMATS:
                raise ValidationError({"photo": _("The photo must be a JPEG or a PNG.")})
            if width * height > MAX_SOURCE_PIXELS:
                raise ValidationError({"photo": _("The photo is too large: use one under 40 megapixels.")})
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            # The camera's orientation tag is applied to the pixels, since the tag itself is dropped.
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((MAX_PHOTO_PIXELS, MAX_PHOTO_PIXELS))
            out = io.BytesIO()
            if kind == "JPEG":
                upright.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
            else:
                keep = "RGBA" if upright.mode in {"RGBA", "LA", "P"} else "RGB"
                upright.convert(keep).save(out, format="PNG", optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError({"photo": _("The photo must be a JPEG or a PNG.")}) from exc
    return CleanPhoto(data=out.getvalue(), content_type=FORMATS[kind])
