from django.contrib.auth import views as auth_views
from django.urls import path

from partnera.core.views import page_not_found

app_name_for_root = None  # login/logout live at the root namespace: {% url 'login' %}

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="people/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

# Placeholders replaced by the people UI (profile, users, teams).
people_patterns = [
    path("me/", page_not_found, name="profile"),
    path("admin/users/", page_not_found, name="user_list"),
    path("admin/teams/", page_not_found, name="team_list"),
]
