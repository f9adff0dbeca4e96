"""Uploaded images: verified with Pillow, then re-encoded and downscaled.

Nothing a member uploads is stored as sent: the validators refuse anything
Pillow cannot fully decode (a non-image, a truncated file, a decompression
bomb), and ``reencode`` writes a fresh file from the decoded pixels, which
drops metadata such as EXIF GPS positions, comments, ICC profiles and any
trailing payload.
"""

import io
import os
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


@deconstructible
class ImageUploadValidator:
    """Refuse files that are not a fully decodable JPEG, PNG, WebP or GIF within limits."""

    def __init__(self, max_bytes, max_pixels):
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def __call__(self, upload):
        if upload.size is not None and upload.size > self.max_bytes:
            raise ValidationError(
                _("The image is too large: the limit is %(limit)s MB."),
                code="too_large",
                params={"limit": self.max_bytes // (1024 * 1024)},
            )
        open_verified_image(upload, max_pixels=self.max_pixels)

    def __eq__(self, other):
        return (
            isinstance(other, ImageUploadValidator)
            and self.max_bytes == other.max_bytes
            and self.max_pixels == other.max_pixels
        )


def open_verified_image(upload, *, max_pixels):
    """Decode the whole upload and return the loaded image, or raise ValidationError."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ALLOWED_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image."), code="invalid_format")
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("The image has too many pixels (%(width)s×%(height)s)."),
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("The image has too many pixels."), code="too_many_pixels") from None
    except Exception:  # Pillow raises many kinds of errors for broken files.
        raise ValidationError(
            _("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
            code="invalid_image",
        ) from None
    finally:
        upload.seek(0)
    return image


def reencode(upload, *, max_size, max_pixels):
    """Return a ContentFile with the upload's pixels, downscaled to fit ``max_size`` square."""
    image = open_verified_image(upload, max_pixels=max_pixels)
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_size, max_size))
    has_alpha = image.mode in ("RGBA", "LA", "P") and (image.mode != "P" or "transparency" in image.info)
    output = io.BytesIO()
    pixels = image.convert("RGBA" if has_alpha else "RGB")
    # Only the pixels: Pillow would otherwise write some metadata of the upload back out
    # (a JPEG or GIF comment, an ICC profile), and a comment can carry an HTML payload.
    pixels.info = {}
    if has_alpha:
        pixels.save(output, format="PNG", optimize=True)
        extension = "png"
    else:
        pixels.save(output, format="JPEG", quality=85, optimize=True)
        extension = "jpg"
    stem = os.path.splitext(os.path.basename(upload.name or "image"))[0][:60] or "image"
    return ContentFile(output.getvalue(), name=f"{stem}.{extension}")


def reencode_with_thumbnail(instance, image_field, thumbnail_field, *, size, thumbnail_size, max_pixels):
    """For a model's save(): re-encode a fresh upload in ``image_field`` and make its thumbnail.

    When the image has been removed, the thumbnail goes too.
    """
    image = getattr(instance, image_field)
    if image and not image._committed:
        image.save(image.name, reencode(image, max_size=size, max_pixels=max_pixels), save=False)
        thumbnail = reencode(image, max_size=thumbnail_size, max_pixels=max_pixels)
        getattr(instance, thumbnail_field).save(thumbnail.name, thumbnail, save=False)
    elif not image and getattr(instance, thumbnail_field):
        setattr(instance, thumbnail_field, "")
