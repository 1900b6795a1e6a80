"""Pages of the sales cycle: deals and the pipeline report (deals.py), pipeline settings
(settings.py); the board and leads have their own modules beside them."""
