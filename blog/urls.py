from django.urls import path, register_converter

from . import converters, views

register_converter(converters.FourDigitYearConverter, "yyyy")
register_converter(converters.TwoDigitConverter, "mm")

app_name = "blog"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("<yyyy:year>/<mm:month>/<mm:day>/<slug:slug>/", views.PostDetailView.as_view(), name="post"),
    path("category/<slug:slug>/", views.CategoryPostsView.as_view(), name="category"),
    path("tag/<slug:slug>/", views.TagPostsView.as_view(), name="tag"),
    path("author/<str:username>/", views.AuthorPostsView.as_view(), name="author"),
    path("write/", views.post_write, name="post_create"),
    path("write/<int:pk>/", views.post_write, name="post_edit"),
]
