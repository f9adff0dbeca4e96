from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project package as an app: site-wide static files and commands that span all apps."""

    name = "portal"
    verbose_name = "Portal"
