from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("members/<str:username>/", views.ProfileView.as_view(), name="profile"),
    path("accounts/profile/", views.edit_profile, name="edit_profile"),
    path("accounts/profile/data/", views.my_data, name="my_data"),
    path("accounts/profile/delete/", views.delete_account, name="delete_account"),
]
