"""The discussion's pages, one module per feature; comments/urls.py lists them."""
