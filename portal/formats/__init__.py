"""The portal's own date formats (settings.FORMAT_MODULE_PATH); other languages use Django's."""
