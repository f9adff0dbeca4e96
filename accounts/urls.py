from django.urls import path

from .views import profiles

app_name = "accounts"

urlpatterns = [
    path("members/<str:username>/", profiles.ProfileView.as_view(), name="profile"),
    path("accounts/profile/", profiles.edit_profile, name="edit_profile"),
    path("accounts/profile/data/", profiles.my_data, name="my_data"),
    path("accounts/profile/delete/", profiles.delete_account, name="delete_account"),
]
