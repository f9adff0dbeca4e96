from django.conf import settings


def site(request):
    return {
        "portal_name": settings.PORTAL_NAME,
        "portal_tagline": settings.PORTAL_TAGLINE,
        "portal_license": settings.PORTAL_LICENSE,
        "portal_contact_email": settings.PORTAL_CONTACT_EMAIL,
    }
