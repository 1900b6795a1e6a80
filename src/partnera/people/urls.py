from django.urls import path

from partnera.people import views

# Root namespace: {% url 'login' %}, {% url 'logout' %}, {% url 'set_language' %}. The last one
# has Django's own path, so it takes the place of django.conf.urls.i18n's view (this module is
# included before it) and also saves the choice on the user.
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]

# Namespace "people".
people_patterns = [
    path("me/", views.profile, name="profile"),
    path("me/password/", views.password_change, name="password_change"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("admin/users/", views.user_list, name="user_list"),
    path("admin/users/new/", views.user_create, name="user_create"),
    path("admin/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("admin/users/<int:pk>/password/", views.user_password, name="user_password"),
    path("admin/users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("admin/teams/", views.team_list, name="team_list"),
    path("admin/teams/new/", views.team_create, name="team_create"),
    path("admin/teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("admin/departments/new/", views.department_create, name="department_create"),
    path("admin/departments/<int:pk>/", views.department_edit, name="department_edit"),
]
