"""Web routes of the kanban board (included by sales/urls.py, namespace "sales")."""

from __future__ import annotations

from django.urls import path

from partnera.sales.views import board

urlpatterns: list = [
    path("board/", board.board, name="board"),
    path("board/columns/<int:stage_pk>/", board.board_column, name="board_column"),
    path("board/deals/<int:pk>/move/", board.board_move, name="board_move"),
    path("board/quick-add/", board.board_quick_add, name="board_quick_add"),
]
