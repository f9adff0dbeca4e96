from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("members/<str:username>/", views.ProfileView.as_view(), name="profile"),
    path("accounts/profile/", views.edit_profile, name="edit_profile"),
]
