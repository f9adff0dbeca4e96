"""The blog's pages, one module per feature; blog/urls.py lists them."""
