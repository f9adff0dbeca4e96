"""Members' and communities' pages, one module per feature.

accounts/urls.py and portal/community_urls.py route to them.
"""
